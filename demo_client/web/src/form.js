// One screen's form: renders its components in order, keeps the values the user enters, shows and hides fields
// by their visible_if / required_if rules (JsonLogic, evaluated with json-logic-engine over the screen's
// values, or over the item for fields inside a repeater), validates locally, and places errors by JSON pointer.

import { LogicEngine } from "./vendor/json-logic-engine.js";
import { captureInput, fileInput } from "./capture.js";
import { el, markdownInto } from "./dom.js";
import { VALUE_INPUTS } from "./fields.js";
import { repeaterInput } from "./repeater.js";
import { pointerJoin, resolveDate, validateForm } from "./validate.js";

const logic = new LogicEngine();
const INPUTS = {
  ...VALUE_INPUTS,
  "input.repeater": repeaterInput,
  "capture.document": captureInput,
  "capture.selfie": captureInput,
  "input.file": fileInput,
};
export const RENDERED_TYPES = ["content.heading", "content.paragraph", "content.alert", "action.button",
  ...Object.keys(INPUTS)];

function truthy(value) {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

function run(rule, values) {
  try {
    return truthy(logic.run(rule, values));
  } catch {
    return true; // a rule this engine cannot run: show the field and let the server decide
  }
}

/** [visible, required] of an input over the values it sees. */
export function conditions(component, values) {
  const visible = component.visible_if == null ? true : run(component.visible_if, values);
  const required = Boolean(component.validation?.required) ||
    (component.required_if != null && run(component.required_if, values));
  return [visible, required];
}

function content(ctx, component, onAction) {
  switch (component.type) {
    case "content.heading": {
      const level = Math.min(Math.max(component.level || 1, 1), 6) + ctx.headingOffset;
      return el(`h${Math.min(level, 6)}`, { class: "arq-heading" }, component.text);
    }
    case "content.paragraph":
      return component.markdown ? markdownInto(el("div", { class: "arq-paragraph" }), component.text)
        : el("p", { class: "arq-paragraph" }, component.text);
    case "content.alert":
      return el("div", { class: `arq-alert arq-alert--${component.severity || "info"}`,
        role: component.severity === "error" || component.severity === "warning" ? "alert" : "status" },
      component.text);
    case "action.button": {
      const submit = component.action === "submit";
      const style = component.style || "primary";
      const button = el("button", { type: submit ? "submit" : "button",
        class: `arq-button${style === "primary" ? "" : ` arq-button--${style}`}`, "data-action": component.action },
      component.label);
      if (!submit) button.addEventListener("click", () => onAction(component.action));
      return button;
    }
    default:
      return null;
  }
}

export class Form {
  /** `ctx`: {t, strings, idFor, uploader, headingOffset}; `onChange(values)` after every edit. */
  constructor(ctx, screen, { initial, onChange, onAction }) {
    this.ctx = ctx;
    this.screen = screen;
    this.values = structuredClone(initial);
    this.entries = new Map(); // pointer -> {field, component, scope}
    this.onChange = onChange;
    this.onAction = onAction;
    this.inputs = screen.components.filter((c) => c.type in INPUTS);
    this.hasSubmit = screen.components.some((c) => c.type === "action.button" && c.action === "submit");
  }

  /** The renderer's context for one scope (the screen, or one repeater item). */
  context(scope, inRepeater) {
    return {
      ...this.ctx,
      inRepeater,
      resolveDate,
      renderInput: (component, pointer, bind, options) => this.renderInput(component, pointer, bind, options),
      unregisterUnder: (prefix) => {
        for (const pointer of [...this.entries.keys()]) if (pointer.startsWith(prefix)) this.entries.delete(pointer);
      },
      refresh: () => this.refresh(),
      scope,
    };
  }

  renderInput(component, pointer, bind, { scope, inRepeater }) {
    const render = INPUTS[component.type];
    let field = null;
    field = render(this.context(scope, inRepeater), component, pointer, {
      get: bind.get,
      set: (value, { quiet = false } = {}) => {
        bind.set(value);
        field?.clearError?.();
        if (!quiet) this.changed();
      },
    });
    this.entries.set(pointer, { field, component, scope });
    return field;
  }

  changed() {
    this.refresh();
    this.onChange(this.values);
  }

  build() {
    const form = el("form", { class: "arq-form", novalidate: true, "aria-label": this.screen.title || null });
    this.summary = el("div", { class: "arq-summary", role: "alert", tabindex: "-1", hidden: true });
    form.append(this.summary);
    const scope = () => this.values;
    for (const component of this.screen.components) {
      if (component.type in INPUTS) {
        const bind = {
          get: () => this.values[component.name],
          set: (value) => {
            if (value === undefined) delete this.values[component.name];
            else this.values[component.name] = value;
          },
        };
        form.append(this.renderInput(component, pointerJoin("", component.name), bind,
          { scope, inRepeater: false }).wrapper);
      } else {
        const node = content(this.ctx, component, this.onAction);
        if (node) form.append(node);
      }
    }
    this.form = form;
    this.refresh();
    return form;
  }

  refresh() {
    for (const { field, component, scope } of this.entries.values()) {
      const [visible, required] = conditions(component, scope());
      field.wrapper.hidden = !visible;
      field.setRequired(required);
    }
  }

  /** What the server gets: the visible inputs' values (a hidden field is neither validated nor stored). */
  collect() {
    const pick = (inputs, values) => {
      const out = {};
      for (const component of inputs) {
        if (!conditions(component, values)[0] || values[component.name] === undefined) continue;
        const value = values[component.name];
        out[component.name] = component.type === "input.repeater"
          ? value.map((item) => pick(component.fields, item)) : value;
      }
      return out;
    };
    return pick(this.inputs, this.values);
  }

  /** Local errors as {pointer, code, message}; empty when the values may go to the server. */
  validate() {
    return validateForm(this.inputs, this.collect(), conditions).map((error) => ({
      ...error, message: this.ctx.t(`error.${error.code}`, error.params),
    }));
  }

  clearErrors() {
    for (const { field } of this.entries.values()) field.clearError();
    this.summary.hidden = true;
    this.summary.replaceChildren();
  }

  /** Each error beside its field (the nearest field up the pointer), listed in a summary that takes focus. */
  showErrors(errors) {
    this.clearErrors();
    const links = [];
    const seen = new Set();
    for (const error of errors) {
      let pointer = error.pointer;
      while (pointer && !this.entries.has(pointer)) pointer = pointer.slice(0, pointer.lastIndexOf("/"));
      const entry = this.entries.get(pointer);
      if (entry && !seen.has(pointer)) {
        seen.add(pointer);
        entry.field.showError(error.message);
        const label = entry.field.component.label;
        const link = el("a", { href: `#${entry.field.id}` }, label ? `${label}: ${error.message}` : error.message);
        link.addEventListener("click", (event) => {
          event.preventDefault();
          entry.field.focus();
        });
        links.push(el("li", {}, link));
      } else if (!entry) {
        links.push(el("li", {}, error.message));
      }
    }
    this.summary.append(el("h2", { class: "arq-summary-title" }, this.ctx.t("sdk.errors_title")),
      el("ul", {}, links));
    this.summary.hidden = false;
    this.summary.focus();
  }

  cleanup() {
    for (const { field } of this.entries.values()) field.cleanup?.();
  }
}
