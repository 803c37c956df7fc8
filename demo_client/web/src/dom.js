// Small DOM helpers shared by the renderers, plus markdown (marked) made safe (DOMPurify).

import { marked } from "./vendor/marked.js";
import DOMPurify from "./vendor/purify.js";

/** An element with attributes (false/null skipped, true as an empty attribute) and children (strings become text). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on") && typeof value === "function") node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.getAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  }
});

/** Markdown from a journey's text, as sanitised HTML inside `into` (block level, or inline for labels). */
export function markdownInto(into, text, { inline = false } = {}) {
  const html = inline ? marked.parseInline(text, { async: false }) : marked.parse(text, { async: false });
  into.innerHTML = DOMPurify.sanitize(html, { USE_PROFILES: { html: true } });
  return into;
}

/** Space-separated token list helpers for aria-describedby. */
export function addToken(node, attribute, token) {
  const tokens = new Set((node.getAttribute(attribute) || "").split(/\s+/).filter(Boolean));
  tokens.add(token);
  node.setAttribute(attribute, [...tokens].join(" "));
}

export function removeToken(node, attribute, token) {
  const tokens = (node.getAttribute(attribute) || "").split(/\s+/).filter((t) => t && t !== token);
  if (tokens.length) node.setAttribute(attribute, tokens.join(" "));
  else node.removeAttribute(attribute);
}

/** A new random key (one per user intent: a submit, an action, an upload). */
export function newKey() {
  return crypto.randomUUID ? crypto.randomUUID()
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}
