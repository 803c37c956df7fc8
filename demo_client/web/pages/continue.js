// Where a handoff link lands (/continue#<code>): the one-time code is exchanged for a session token, the code is
// removed from the address bar, and the journey continues here on its current screen. The token stays in this
// tab's sessionStorage so a reload does not need the (used) link again.

import Arabesque from "/sdk/web/arabesque.js";

const SAVED = "arabesque.continue.session";
const root = document.getElementById("sdk");
let words = {};

async function loadWords() {
  try {
    const response = await fetch(`/sdk/web/strings/${encodeURIComponent(navigator.language || "en")}.json`);
    const body = await response.json();
    words = body.messages;
    document.documentElement.lang = body.locale;
  } catch {
    words = {};
  }
}

function say(text) {
  const status = document.createElement("p");
  status.setAttribute("role", "alert");
  status.className = "arq-alert arq-alert--error";
  status.textContent = text;
  root.replaceChildren(status);
}

async function exchange(code) {
  const response = await fetch("/v1/handoffs/exchange", { method: "POST",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ code }) });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 201) {
    root.dataset.error = body.code || "unknown";
    say(words[`sdk.error.${body.code}`] || body.message || `The link could not be used (HTTP ${response.status}).`);
    return null;
  }
  return body;
}

async function main() {
  await loadWords();
  const code = decodeURIComponent(window.location.hash.slice(1));
  let session = null;
  if (code) {
    history.replaceState(null, "", window.location.pathname); // the code is spent: keep it out of history
    session = await exchange(code);
    if (session) sessionStorage.setItem(SAVED, JSON.stringify(session));
  } else {
    session = JSON.parse(sessionStorage.getItem(SAVED) || "null");
    if (!session) say(words["sdk.continue_no_link"] || "Open the link you were given.");
  }
  if (session) {
    Arabesque.mount(root, { url: window.location.origin, token: session.token,
      locale: session.locale || navigator.language });
  }
}

main();
