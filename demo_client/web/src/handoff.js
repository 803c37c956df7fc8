// "Continue on another device": asks the server for a one-time handoff link (POST .../handoffs with the session
// token) and shows it as a QR code (made by the server) and as a link to copy, in a modal dialog.

import { el } from "./dom.js";

export async function createHandoff({ baseUrl, sessionId, token }) {
  const response = await fetch(`${baseUrl}/v1/sessions/${encodeURIComponent(sessionId)}/handoffs`, {
    method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" }, body: "{}",
  });
  const body = await response.json().catch(() => ({}));
  if (response.status !== 201) throw new Error(body.message || `HTTP ${response.status}`);
  return body;
}

/** The dialog for one handoff link; `t` translates. Returns the dialog (already open). */
export function showHandoff(root, t, handoff, idFor) {
  const titleId = idFor("/handoff-title");
  const linkId = idFor("/handoff-link");
  const copied = el("p", { class: "arq-capture-status", role: "status" });
  const link = el("input", { id: linkId, class: "arq-input", type: "text", readonly: true, value: handoff.url });
  const copy = el("button", { type: "button", class: "arq-button arq-button--secondary" }, t("sdk.handoff_copy"));
  const close = el("button", { type: "button", class: "arq-button" }, t("sdk.close"));
  const until = new Date(handoff.expires_at).toLocaleTimeString(document.documentElement.lang || undefined,
    { hour: "2-digit", minute: "2-digit" });
  const dialog = el("dialog", { class: "arq-dialog", "aria-labelledby": titleId, "data-handoff-id": handoff.handoff_id },
    el("h2", { id: titleId, class: "arq-heading" }, t("sdk.handoff_title")),
    el("p", { class: "arq-paragraph" }, t("sdk.handoff_text", { time: until })),
    el("img", { class: "arq-qr", src: handoff.qr_svg, alt: t("sdk.handoff_qr_alt"), width: "220", height: "220" }),
    el("label", { for: linkId, class: "arq-label" }, t("sdk.handoff_link")), link,
    el("div", { class: "arq-buttons" }, copy, close), copied);
  copy.addEventListener("click", async () => {
    link.select();
    try {
      await navigator.clipboard.writeText(handoff.url);
      copied.textContent = t("sdk.handoff_copied");
    } catch {
      copied.textContent = t("sdk.handoff_copy_manually");
    }
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  root.append(dialog);
  dialog.showModal();
  close.focus();
  return dialog;
}
