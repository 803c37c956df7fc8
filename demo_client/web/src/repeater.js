// input.repeater: a list of grouped fields (company owners, directors). Each item is a fieldset with its own
// legend; items are added and removed with buttons, within min_items..max_items; focus follows the change.

import { el } from "./dom.js";
import { Field } from "./fields.js";
import { pointerJoin } from "./validate.js";

export function repeaterInput(ctx, component, pointer, bind) {
  const field = new Field(ctx, component, pointer, { group: true });
  const min = component.min_items || 0;
  const max = component.max_items ?? 20;
  let items = Array.isArray(bind.get()) ? bind.get().map((item) => ({ ...item })) : [];
  while (items.length < Math.max(min, 1)) items.push({});
  const list = el("ol", { class: "arq-repeater-items" });
  const add = el("button", { type: "button", class: "arq-button arq-button--secondary" },
    component.add_label || ctx.t("sdk.add_item"));
  const legendOf = (i) => ctx.t("sdk.item_number", { label: component.item_label || ctx.t("sdk.item"), n: i + 1 });

  function commit() {
    bind.set(items);
  }

  function draw(focusIndex) {
    ctx.unregisterUnder(`${pointer}/`);
    list.replaceChildren();
    items.forEach((item, i) => {
      const itemPointer = pointerJoin(pointer, i);
      const legend = legendOf(i);
      const remove = el("button", { type: "button", class: "arq-button arq-button--link",
        "aria-label": ctx.t("sdk.remove_item_named", { item: legend }), disabled: items.length <= min },
      ctx.t("sdk.remove_item"));
      remove.addEventListener("click", () => {
        items.splice(i, 1);
        commit();
        draw(Math.min(i, items.length - 1));
      });
      const box = el("fieldset", { class: "arq-repeater-item", "data-pointer": itemPointer },
        el("legend", { class: "arq-label" }, legend));
      for (const child of component.fields) {
        const childBind = {
          get: () => items[i][child.name],
          set: (value) => {
            if (value === undefined) delete items[i][child.name];
            else items[i][child.name] = value;
            commit();
          },
        };
        box.append(ctx.renderInput(child, pointerJoin(itemPointer, child.name), childBind,
          { scope: () => items[i], inRepeater: true }).wrapper);
      }
      box.append(remove);
      list.append(el("li", {}, box));
    });
    add.disabled = items.length >= max;
    ctx.refresh();
    if (focusIndex !== undefined && focusIndex >= 0) {
      list.children[focusIndex]?.querySelector("input, select")?.focus();
    } else if (focusIndex !== undefined) {
      add.focus();
    }
  }

  add.addEventListener("click", () => {
    if (items.length >= max) return;
    items.push({});
    commit();
    draw(items.length - 1);
  });
  field.controls.push(add);
  field.assemble(list, add);
  field.group = true;
  commit();
  draw();
  return field;
}
