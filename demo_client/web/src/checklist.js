// verification.progress as a live checklist on a waiting screen: one line per check, its status in words.

import { el } from "./dom.js";

export class Checklist {
  constructor(strings) {
    this.strings = strings;
    this.t = (key, params) => strings.t(key, params);
    this.items = new Map();
    this.element = el("ul", { class: "arq-checklist", "aria-live": "polite", "aria-label": this.t("sdk.checks") });
  }

  label(check) {
    const name = check.split(".").pop();
    return this.strings.has(`sdk.check.${name}`) ? this.t(`sdk.check.${name}`) : check;
  }

  update(progress) {
    let item = this.items.get(progress.check);
    if (!item) {
      item = { status: el("span", { class: "arq-check-status" }), row: null };
      item.row = el("li", { class: "arq-check", "data-check": progress.check },
        el("span", { class: "arq-check-name" }, this.label(progress.check)), " ", item.status);
      this.items.set(progress.check, item);
      this.element.append(item.row);
    }
    item.row.dataset.status = progress.status;
    item.status.textContent = this.t(`sdk.status.${progress.status}`);
  }
}
