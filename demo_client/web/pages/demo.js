// The QA demo page: asks this server (POST /demo/sessions) for a session, mounts the web SDK on it and logs every
// protocol message. The session stays in this tab's sessionStorage, so a reload resumes it.

import Arabesque from "/sdk/web/arabesque.js";

const SAVED = "arabesque.demo.session";
const log = document.getElementById("log");
const info = document.getElementById("session-info");
let handle = null;

function record(direction, message) {
  const arrow = { out: "→", in: "←", push: "⇠" }[direction];
  const item = document.createElement("li");
  item.className = direction;
  item.textContent = `${arrow} ${message.type}  ${JSON.stringify(message)}`;
  log.append(item);
  item.scrollIntoView({ block: "nearest" });
}

function mount(session) {
  handle?.unmount();
  const element = document.getElementById("sdk");
  info.textContent = `Session ${session.session_id} (${session.journey}, ${session.locale})`;
  info.dataset.sessionId = session.session_id;
  handle = Arabesque.mount(element, {
    url: window.location.origin, token: session.token, locale: session.locale,
    clientValidation: session.clientValidation,
    onMessage: record,
    onComplete: (done) => { info.textContent = `Session ${session.session_id}: ${done.outcome}`; },
  });
}

async function start(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { journey: form.get("journey"), locale: form.get("locale"), reference: form.get("reference") || "" };
  const response = await fetch("/demo/sessions", { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body) });
  const created = await response.json();
  if (response.status !== 201) {
    info.textContent = `${created.code}: ${created.message}`;
    return;
  }
  const session = { ...created, locale: body.locale,
    clientValidation: document.getElementById("client-validation").checked };
  sessionStorage.setItem(SAVED, JSON.stringify(session));
  log.replaceChildren();
  mount(session);
}

async function init() {
  const response = await fetch("/demo/journeys");
  const { journeys, locales } = await response.json();
  const journey = document.getElementById("journey");
  for (const j of journeys) journey.append(new Option(`${j.title} (${j.name} v${j.version})`, j.name));
  const locale = document.getElementById("locale");
  for (const l of locales) locale.append(new Option(l, l, l === "en", l === "en"));
  document.getElementById("start").addEventListener("submit", start);
  document.getElementById("clear-log").addEventListener("click", () => log.replaceChildren());
  const saved = sessionStorage.getItem(SAVED);
  if (saved) mount(JSON.parse(saved));
}

init();
