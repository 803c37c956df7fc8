// The back office's only script: image zoom, and live updates over Socket.IO (namespace /backoffice).
// The queue swaps in a fresh table when any case of the tenant changes; a case page swaps in a fresh body
// when its own case changes, keeping what the reviewer was typing or had picked.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var image = event.target.closest ? event.target.closest("img.zoomable") : null;
    if (image) { image.classList.toggle("zoomed"); }
  });

  var csrf = document.querySelector('meta[name="csrf-token"]');
  var page = document.body.dataset.page;
  if (!csrf || typeof window.io !== "function" || (page !== "queue" && page !== "case")) { return; }

  function fetchHtml(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } }).then(function (r) {
      if (r.status === 401) { window.location.reload(); return null; }
      return r.ok ? r.text() : null;
    });
  }

  function kept(root) {
    // what the reviewer changed in the fragment's forms, by element id (hidden fields come from the server)
    var values = {};
    root.querySelectorAll("input[id], select[id], textarea[id]").forEach(function (el) {
      if (el.type === "hidden") { return; }
      values[el.id] = (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value;
    });
    return values;
  }

  function restore(root, values) {
    Object.keys(values).forEach(function (id) {
      var el = root.querySelector("#" + CSS.escape(id));
      if (!el) { return; }
      if (el.type === "checkbox" || el.type === "radio") { el.checked = values[id]; } else { el.value = values[id]; }
    });
  }

  function swap(id, html) {
    var old = document.getElementById(id);
    if (!old || html === null) { return; }
    var values = kept(old);
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.firstElementChild;
    if (!fresh) { return; }
    old.replaceWith(fresh);
    restore(fresh, values);
    document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes || "0") + 1);
  }

  var queued = null;
  function refreshQueue() {
    if (queued) { return; }
    queued = setTimeout(function () {  // a burst of changes costs one fetch
      queued = null;
      fetchHtml("/backoffice/queue" + window.location.search).then(function (html) { swap("queue-table", html); });
    }, 150);
  }

  function refreshCase(change) {
    var body = document.getElementById("case-body");
    if (!body || change.session_id !== body.dataset.session || String(change.version) === body.dataset.version) { return; }
    fetchHtml("/backoffice/cases/" + encodeURIComponent(change.session_id) + "/fragment")
      .then(function (html) { swap("case-body", html); });
  }

  var socket = window.io("/backoffice", { transports: ["websocket"] });
  socket.on("connect", function () { document.body.dataset.live = "connected"; });
  socket.on("disconnect", function () { document.body.dataset.live = "disconnected"; });
  socket.on("connect_error", function () { document.body.dataset.live = "refused"; });
  socket.on("case.changed", function (change) {
    if (page === "queue") { refreshQueue(); } else { refreshCase(change); }
  });
})();
