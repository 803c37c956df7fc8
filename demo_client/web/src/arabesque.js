// The Arabesque web SDK: `Arabesque.mount(element, {url, token, locale})` renders a journey that the server
// drives. It holds no journey logic: it says hello with the component types it renders, draws each screen it is
// pushed, submits what the user entered, and shows what the server answers. See docs/PROTOCOL.md.

import { Channel } from "./channel.js";
import { el, newKey } from "./dom.js";
import { Form, RENDERED_TYPES } from "./form.js";
import { createHandoff, showHandoff } from "./handoff.js";
import { Drafts } from "./drafts.js";
import { Strings, directionOf } from "./strings.js";
import { Uploader } from "./upload.js";
import { Checklist } from "./checklist.js";

export const VERSION = "0.1.0";
export const PROTOCOL_VERSION = "1.2.0";
export const COMPONENT_TYPES = Object.freeze([...RENDERED_TYPES]);
const CORE = new Set(["content.heading", "content.paragraph", "content.alert", "action.button"]);
// codes after which this connection can do nothing more: the page says so in place of the screen
const FATAL = new Set(["session.erased", "session.invalid_token", "session.expired", "protocol.unsupported_version"]);
let mounted = 0;

/** The component types to declare: all this SDK renders, or the integrator's subset of them. */
function declared(components) {
  if (!components) return [...COMPONENT_TYPES];
  const unknown = components.filter((type) => !COMPONENT_TYPES.includes(type));
  if (unknown.length) throw new TypeError(`Expected component types this SDK renders, got ${unknown.join(", ")}`);
  return [...new Set([...components, ...CORE])];
}

function applyTheme(root, theme) {
  for (const [name, value] of Object.entries(theme || {})) {
    root.style.setProperty(name.startsWith("--") ? name : `--arabesque-${name}`, String(value));
  }
}

class Journey {
  constructor(root, options) {
    if (!options || !options.url || !options.token) throw new TypeError("Expected options {url, token}");
    this.root = root;
    this.options = options;
    this.url = String(options.url).replace(/\/+$/, "");
    this.token = options.token;
    this.locale = options.locale || navigator.language || "en";
    this.components = declared(options.components);
    this.prefix = `arq${(mounted += 1)}`;
    this.drafts = new Drafts(options.drafts === false ? null : window.sessionStorage);
    this.screen = null;
    this.form = null;
    this.checklist = null;
    this.busy = false;
    this.finished = false;
    this.sessionId = "";
    this.pushes = Promise.resolve();
    this.uploader = new Uploader(() => ({ baseUrl: this.url, sessionId: this.sessionId, token: this.token }),
      (message) => this.channel.request(message));
  }

  idFor(pointer) {
    return `${this.prefix}-${pointer.replace(/[^A-Za-z0-9_-]/g, "-").replace(/^-+/, "") || "root"}`;
  }

  t(key, params) {
    return this.strings.t(key, params);
  }

  trace(direction, message) {
    this.options.onMessage?.(direction, message);
  }

  async start() {
    this.root.classList.add("arabesque");
    applyTheme(this.root, this.options.theme);
    this.status = el("p", { class: "arq-connection", role: "status" });
    this.banner = el("div", { class: "arq-banner", role: "status", hidden: true });
    this.view = el("div", { class: "arq-view" });
    this.footer = el("div", { class: "arq-footer" });
    this.root.replaceChildren(this.banner, this.view, this.footer, this.status);
    this.strings = await this.loadStrings(this.locale);
    this.setLanguage(this.strings.locale);
    this.status.textContent = this.t("sdk.connecting");
    this.channel = new Channel({
      url: this.url, token: this.token,
      hello: () => ({ type: "hello", protocol_version: PROTOCOL_VERSION,
        sdk: { name: "arabesque-web", version: VERSION, platform: "web" }, components: this.components,
        locale: this.locale }),
      onWelcome: (welcome) => this.welcomed(welcome),
      // one at a time, in order; a push that fails to render does not stop the ones after it
      onPush: (message) => {
        this.pushes = this.pushes.then(() => this.pushed(message)).catch((error) => console.error("arabesque:", error));
      },
      onRefused: (error) => this.refused(error),
      onState: (state) => this.connection(state),
      trace: (direction, message) => this.trace(direction, message),
    });
    this.channel.connect();
  }

  async loadStrings(locale) {
    const strings = await Strings.load(this.url, locale, (key, lang) => {
      console.warn(`arabesque: no text for ${key} in ${lang}`);
    });
    return strings;
  }

  setLanguage(locale) {
    this.root.setAttribute("lang", locale);
    this.root.setAttribute("dir", directionOf(locale));
  }

  async welcomed(welcome) {
    this.sessionId = welcome.session_id;
    if (welcome.locale && welcome.locale !== this.strings.locale) {
      this.strings = await this.loadStrings(welcome.locale);
      this.setLanguage(this.strings.locale);
    }
  }

  connection(state) {
    this.root.dataset.connection = state;
    this.status.textContent = state === "connected" ? "" : this.t(`sdk.${state}`);
  }

  async pushed(message) {
    switch (message.type) {
      case "screen":
        this.showScreen(message);
        break;
      case "verification.progress":
        this.checklist?.update(message);
        break;
      case "journey.completed":
        this.complete(message);
        break;
      case "handoff.claimed":
        this.claimed();
        break;
      case "error":
        this.fail(message);
        break;
      default:
        break; // a message of a newer minor version: ignored, as the protocol says
    }
    this.options.onEvent?.(message);
  }

  showScreen(screen) {
    this.finished = false;
    this.form?.cleanup();
    this.screen = screen;
    this.busy = false;
    this.view.setAttribute("aria-busy", "false");
    if (screen.locale && screen.locale !== this.root.getAttribute("lang")) this.setLanguage(screen.locale);
    const draft = this.drafts.read(this.sessionId, screen);
    this.form = new Form({ t: (k, p) => this.t(k, p), strings: this.strings, idFor: (p) => this.idFor(p),
      uploader: this.uploader, headingOffset: (this.options.headingLevel || 1) - 1 }, screen, {
      initial: { ...(screen.values || {}), ...(draft || {}) },
      onChange: (values) => this.drafts.write(this.sessionId, screen, values),
      onAction: (action) => this.act(action),
    });
    const body = this.form.build();
    const parts = [];
    if (screen.step) {
      parts.push(el("p", { class: "arq-step" }, this.t("sdk.step", { n: screen.step.n, m: screen.step.m })));
    }
    parts.push(body);
    this.checklist = screen.waiting ? new Checklist(this.strings) : null;
    if (this.checklist) {
      body.append(el("div", { class: "arq-spinner", "aria-hidden": "true" }), this.checklist.element);
    } else {
      const buttons = el("div", { class: "arq-buttons arq-buttons--screen" });
      if (this.form.inputs.length && !this.form.hasSubmit) {
        buttons.append(el("button", { type: "submit", class: "arq-button", "data-action": "submit" },
          this.t("sdk.continue")));
      }
      for (const action of screen.actions || []) {
        const button = el("button", { type: "button", class: "arq-button arq-button--secondary",
          "data-action": action.name }, action.label);
        button.addEventListener("click", () => this.act(action.name));
        buttons.append(button);
      }
      if (buttons.childElementCount) body.append(buttons);
    }
    body.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    Object.assign(this.root.dataset, { screenId: screen.screen_id, revision: String(screen.revision),
      state: screen.state, waiting: String(Boolean(screen.waiting)) });
    delete this.root.dataset.outcome;
    this.view.replaceChildren(...parts);
    this.drawFooter();
    // a new screen takes focus at its heading (screen readers announce it); the same screen sent again after a
    // reconnect leaves focus alone, and so does the first screen of a page
    const key = `${screen.screen_id}@${screen.revision}`;
    const heading = this.view.querySelector("h1, h2, h3, h4, h5, h6");
    if (heading && this.shownKey && key !== this.shownKey) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    this.shownKey = key;
    this.options.onScreen?.(screen);
  }

  drawFooter() {
    this.footer.replaceChildren();
    if (this.options.handoff === false || this.finished) return;
    const button = el("button", { type: "button", class: "arq-button arq-button--link", "data-action": "handoff" },
      this.t("sdk.handoff_button"));
    button.addEventListener("click", async () => {
      try {
        this.handoff = showHandoff(this.root, (k, p) => this.t(k, p), await createHandoff({ baseUrl: this.url,
          sessionId: this.sessionId, token: this.token }), (p) => this.idFor(p));
      } catch (error) {
        this.showBanner(this.t("sdk.handoff_failed", { reason: error.message }), "error");
      }
    });
    this.footer.append(button);
  }

  showBanner(text, kind = "info") {
    this.banner.textContent = text;
    this.banner.dataset.kind = kind;
    this.banner.hidden = false;
  }

  claimed() {
    if (this.handoff?.open) this.handoff.close();
    this.root.dataset.handedOff = "true";
    this.showBanner(this.t("sdk.handoff_claimed"));
  }

  setBusy(busy) {
    this.busy = busy;
    this.view.setAttribute("aria-busy", String(busy));
    for (const button of this.view.querySelectorAll("button")) button.disabled = busy;
  }

  async submit() {
    if (this.busy || !this.form || this.screen.waiting) return;
    const errors = this.options.clientValidation === false ? [] : this.form.validate();
    if (errors.length) {
      this.form.showErrors(errors);
      return;
    }
    this.form.clearErrors();
    const screen = this.screen;
    await this.send({ type: "screen.submit", screen_id: screen.screen_id, revision: screen.revision,
      values: this.form.collect(), idempotency_key: newKey() }, screen);
  }

  async act(action) {
    if (this.busy || !this.screen) return;
    const screen = this.screen;
    await this.send({ type: "screen.action", screen_id: screen.screen_id, revision: screen.revision, action,
      idempotency_key: newKey() }, screen);
  }

  /** One user intent: the message (and its key) is sent until answered; then the answer is shown. */
  async send(message, screen) {
    this.setBusy(true);
    let reply;
    try {
      reply = await this.channel.request(message);
    } catch (error) {
      this.setBusy(false);
      this.showBanner(this.t("sdk.no_answer"), "error");
      return;
    }
    if (this.screen !== screen) return; // the next screen came first
    this.setBusy(false);
    if (reply.type === "screen.accepted") {
      this.drafts.clear(this.sessionId);
      this.setBusy(true); // until the next screen arrives
    } else if (reply.type === "screen.errors") {
      this.form.showErrors(reply.errors);
    } else if (reply.type === "error" && reply.code === "workflow.stale_screen") {
      this.showBanner(this.t("sdk.stale_screen"));
    } else if (reply.type === "error") {
      this.form.showErrors([{ pointer: "", message: reply.message }]);
      this.options.onError?.(reply);
    }
  }

  complete(message) {
    this.finished = true;
    this.form?.cleanup();
    this.drafts.clear(this.sessionId);
    this.screen = null;
    this.busy = false;
    this.view.setAttribute("aria-busy", "false");
    this.root.dataset.outcome = message.outcome;
    this.root.dataset.screenId = "";
    const heading = el("h1", { class: "arq-heading", tabindex: "-1" }, message.title || this.t("sdk.done"));
    this.view.replaceChildren(el("div", { class: `arq-completed arq-completed--${message.outcome}` }, heading,
      message.message ? el("p", { class: "arq-paragraph" }, message.message) : null));
    this.drawFooter();
    heading.focus();
    this.options.onComplete?.(message);
  }

  refused(error) {
    this.root.dataset.connection = "refused";
    this.fail(error);
    if (error.code === "session.expired" && this.options.refreshToken) {
      Promise.resolve(this.options.refreshToken()).then((token) => {
        this.token = token;
        this.channel.reconnectWith(token);
      }).catch(() => {});
    }
  }

  fail(error) {
    const known = this.strings.has(`sdk.error.${error.code}`);
    this.root.dataset.error = error.code || "unknown";
    if (FATAL.has(error.code)) {
      this.form?.cleanup();
      this.view.replaceChildren(el("div", { class: "arq-alert arq-alert--error", role: "alert" },
        known ? this.t(`sdk.error.${error.code}`) : error.message));
      this.footer.replaceChildren();
      this.channel?.close();
    } else {
      this.showBanner(known ? this.t(`sdk.error.${error.code}`) : error.message, "error");
    }
    this.options.onError?.(error);
  }

  unmount() {
    this.form?.cleanup();
    this.channel?.close();
    this.root.replaceChildren();
  }
}

/** Render the journey of the session whose SDK token is `options.token` inside `element`. */
export function mount(element, options) {
  const journey = new Journey(element, options);
  const started = journey.start().catch((error) => {
    element.textContent = `Arabesque could not start: ${error.message}`;
    options.onError?.({ code: "sdk.start_failed", message: error.message });
  });
  return {
    started,
    unmount: () => journey.unmount(),
    get sessionId() { return journey.sessionId; },
  };
}

export default { mount, VERSION, PROTOCOL_VERSION, COMPONENT_TYPES };
