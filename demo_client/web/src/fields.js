// The value inputs: text, select, radio, country, checkbox, consent. Each is accessible HTML: a label bound to
// its control, help and error text linked with aria-describedby, native keyboard behaviour, autocomplete.

import { addToken, el, markdownInto, removeToken } from "./dom.js";

const NAMED_AUTOCOMPLETE = {
  first_name: "given-name", last_name: "family-name", date_of_birth: "bday", email: "email", phone: "tel",
  line1: "address-line1", line2: "address-line2", city: "address-level2", postal_code: "postal-code",
  country: "country",
};

/** The autocomplete token: the journey's, else one inferred from the name; fields about other people: off. */
export function autocompleteFor(component, inRepeater) {
  if (component.autocomplete) return component.autocomplete;
  if (inRepeater) return "off";
  if (component.input_type === "email") return "email";
  if (component.input_type === "tel") return "tel";
  return NAMED_AUTOCOMPLETE[component.name] || "off";
}

/**
 * One field's frame: wrapper, label (or legend for a group), help text, error text. `controls` are the
 * elements carrying aria-describedby / aria-invalid.
 */
export class Field {
  constructor(ctx, component, pointer, { group = false } = {}) {
    this.component = component;
    this.pointer = pointer;
    this.id = ctx.idFor(pointer);
    this.group = group;
    this.wrapper = el(group ? "fieldset" : "div", {
      class: `arq-field arq-field--${component.type.replace(".", "-")}`, "data-pointer": pointer,
      "data-type": component.type,
    });
    this.label = group ? el("legend", { class: "arq-label", id: `${this.id}-label` }, component.label || "")
      : el("label", { class: "arq-label", for: this.id, id: `${this.id}-label` }, component.label || "");
    this.help = component.help ? el("p", { class: "arq-help", id: `${this.id}-help` }, component.help) : null;
    this.error = el("p", { class: "arq-error", id: `${this.id}-error`, hidden: true });
    this.controls = [];
  }

  /** Put label, help, the body and the error in place; link the controls to the help text. */
  assemble(...body) {
    this.wrapper.append(this.label);
    if (this.help) this.wrapper.append(this.help);
    this.wrapper.append(...body, this.error);
    for (const control of this.controls) {
      if (this.help) addToken(control, "aria-describedby", this.help.id);
    }
    return this;
  }

  setRequired(required) {
    for (const control of this.valueControls()) {
      if (control.type === "radio") continue;
      control.toggleAttribute("required", required);
    }
    if (this.wrapper.getAttribute("role") === "radiogroup") this.wrapper.setAttribute("aria-required", String(required));
    this.wrapper.classList.toggle("arq-field--required", required);
  }

  /** The controls that hold a value (not the buttons of a capture or a repeater). */
  valueControls() {
    return this.controls.filter((c) => c.tagName === "INPUT" || c.tagName === "SELECT" || c.tagName === "TEXTAREA");
  }

  showError(message) {
    this.error.textContent = message;
    this.error.hidden = false;
    this.wrapper.classList.add("arq-field--invalid");
    for (const control of this.targets()) addToken(control, "aria-describedby", this.error.id);
    for (const control of this.valueControls()) control.setAttribute("aria-invalid", "true");
  }

  clearError() {
    this.error.textContent = "";
    this.error.hidden = true;
    this.wrapper.classList.remove("arq-field--invalid");
    for (const control of this.targets()) removeToken(control, "aria-describedby", this.error.id);
    for (const control of this.valueControls()) control.removeAttribute("aria-invalid");
  }

  targets() {
    return this.group ? [this.wrapper, ...this.controls] : this.controls;
  }

  focus() {
    (this.controls[0] || this.wrapper).focus();
  }
}

function textInput(ctx, component, pointer, bind) {
  const field = new Field(ctx, component, pointer);
  const type = component.input_type || "text";
  const rules = component.validation || {};
  const input = el("input", {
    id: field.id, name: pointer, type, class: "arq-input", autocomplete: autocompleteFor(component, ctx.inRepeater),
    placeholder: component.placeholder, inputmode: type === "number" ? "decimal" : null,
    step: type === "number" ? "any" : null,
    min: type === "date" && rules.min_date ? ctx.resolveDate(rules.min_date) : type === "number" ? rules.min_value : null,
    max: type === "date" && rules.max_date ? ctx.resolveDate(rules.max_date) : type === "number" ? rules.max_value : null,
    maxlength: type !== "number" && type !== "date" ? rules.max_length : null,
  });
  const current = bind.get();
  if (current !== undefined && current !== null) input.value = String(current);
  input.addEventListener("input", () => {
    if (type === "number") {
      bind.set(input.value === "" ? undefined : Number(input.value));
    } else {
      bind.set(input.value === "" ? undefined : input.value);
    }
  });
  field.controls.push(input);
  return field.assemble(input);
}

function choice(ctx, options, bind, field, placeholder) {
  const select = el("select", { id: field.id, name: field.pointer, class: "arq-input",
    autocomplete: field.component.type === "input.country" ? autocompleteFor({ name: field.component.name }, ctx.inRepeater) : "off" },
  el("option", { value: "" }, placeholder),
  options.map((o) => el("option", { value: o.value }, o.label)));
  select.value = bind.get() ?? "";
  select.addEventListener("change", () => bind.set(select.value === "" ? undefined : select.value));
  field.controls.push(select);
  return field.assemble(select);
}

function selectInput(ctx, component, pointer, bind) {
  return choice(ctx, component.options, bind, new Field(ctx, component, pointer), ctx.t("sdk.choose"));
}

function countryInput(ctx, component, pointer, bind) {
  const options = ctx.strings.countryOptions(component.countries);
  return choice(ctx, options, bind, new Field(ctx, component, pointer), ctx.t("sdk.choose_country"));
}

function radioInput(ctx, component, pointer, bind) {
  const field = new Field(ctx, component, pointer, { group: true });
  field.wrapper.setAttribute("role", "radiogroup");
  field.wrapper.setAttribute("aria-labelledby", field.label.id);
  const current = bind.get();
  const items = component.options.map((option, i) => {
    const id = `${field.id}-${i}`;
    const radio = el("input", { type: "radio", id, name: `${field.id}-radio`, value: option.value,
      class: "arq-radio", checked: current === option.value });
    radio.addEventListener("change", () => bind.set(option.value));
    field.controls.push(radio);
    return el("div", { class: "arq-choice" }, radio, el("label", { for: id }, option.label));
  });
  if (field.help) addToken(field.wrapper, "aria-describedby", field.help.id);
  return field.assemble(el("div", { class: "arq-choices" }, items));
}

function checkbox(ctx, component, pointer, bind, labelBody) {
  const field = new Field(ctx, component, pointer);
  const box = el("input", { type: "checkbox", id: field.id, name: pointer, class: "arq-checkbox",
    checked: bind.get() === true });
  box.addEventListener("change", () => bind.set(box.checked));
  field.controls.push(box);
  field.label.replaceChildren(labelBody);
  field.wrapper.append(el("div", { class: "arq-choice" }, box, field.label));
  if (field.help) field.wrapper.append(field.help);
  field.wrapper.append(field.error);
  if (field.help) addToken(box, "aria-describedby", field.help.id);
  if (bind.get() === undefined) bind.set(false, { quiet: true });
  return field;
}

function checkboxInput(ctx, component, pointer, bind) {
  return checkbox(ctx, component, pointer, bind, document.createTextNode(component.label || ""));
}

function consentInput(ctx, component, pointer, bind) {
  const text = markdownInto(el("span", { class: "arq-consent-text" }), component.text, { inline: true });
  const field = checkbox(ctx, component, pointer, bind, text);
  field.wrapper.dataset.version = component.version;
  if (component.document_url) {
    field.wrapper.insertBefore(el("p", { class: "arq-consent-document" },
      el("a", { href: component.document_url, target: "_blank", rel: "noopener noreferrer" },
        ctx.t("sdk.consent_document"))), field.error);
  }
  return field;
}

export const VALUE_INPUTS = {
  "input.text": textInput,
  "input.select": selectInput,
  "input.country": countryInput,
  "input.radio": radioInput,
  "input.checkbox": checkboxInput,
  "input.consent": consentInput,
};
