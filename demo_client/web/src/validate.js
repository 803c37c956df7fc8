// Client-side validation from the definitions the server enforces (sdk_protocol/validation.py, same codes and
// params). It only saves a round trip: whatever the server answers in screen.errors wins.

const EMAIL = /^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$/u;
const TEL = /^\+?[0-9 ()./-]{5,25}$/u;
const FILE_ID = /^f_[A-Za-z0-9_-]{8,64}$/u;
const RELATIVE_DATE = /^today(?:([+-])(\d{1,4})([dmy]))?$/u;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/u;

export function pointerJoin(base, token) {
  return `${base}/${String(token).replaceAll("~", "~0").replaceAll("/", "~1")}`;
}

export function isEmpty(value) {
  return value === undefined || value === null || value === false || value === "" ||
    (Array.isArray(value) && value.length === 0);
}

function isoDay(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** `2000-01-31`, `today`, `today-18y`, `today+30d`, `today-6m` -> `YYYY-MM-DD` (the user's today). */
export function resolveDate(spec, today = new Date()) {
  const match = RELATIVE_DATE.exec(spec);
  if (!match) return spec;
  if (!match[1]) return isoDay(today);
  const n = Number(match[2]) * (match[1] === "+" ? 1 : -1);
  if (match[3] === "d") {
    const day = new Date(today.getFullYear(), today.getMonth(), today.getDate() + n);
    return isoDay(day);
  }
  const months = today.getFullYear() * 12 + today.getMonth() + (match[3] === "y" ? n * 12 : n);
  const year = Math.floor(months / 12);
  const month = months % 12;
  const last = new Date(year, month + 1, 0).getDate();
  return isoDay(new Date(year, month, Math.min(today.getDate(), last)));
}

function validDate(text) {
  if (!ISO_DATE.test(text)) return false;
  const [y, m, d] = text.split("-").map(Number);
  const date = new Date(y, m - 1, d);
  return date.getFullYear() === y && date.getMonth() === m - 1 && date.getDate() === d;
}

function fullMatch(pattern, text) {
  try {
    return new RegExp(`^(?:${pattern})$`, "u").test(text);
  } catch {
    return true; // a pattern JavaScript cannot read: leave it to the server
  }
}

function err(pointer, code, params = {}) {
  return { pointer, code, params };
}

function textErrors(component, value, pointer) {
  const rules = component.validation || {};
  if (component.input_type === "number") {
    if (typeof value !== "number" || Number.isNaN(value)) return [err(pointer, "validation.type")];
    if (rules.min_value != null && value < rules.min_value) return [err(pointer, "validation.min_value", { min_value: rules.min_value })];
    if (rules.max_value != null && value > rules.max_value) return [err(pointer, "validation.max_value", { max_value: rules.max_value })];
    return [];
  }
  if (typeof value !== "string") return [err(pointer, "validation.type")];
  const length = [...value].length;
  if (rules.min_length != null && length < rules.min_length) return [err(pointer, "validation.min_length", { min_length: rules.min_length })];
  if (rules.max_length != null && length > rules.max_length) return [err(pointer, "validation.max_length", { max_length: rules.max_length })];
  if (rules.pattern != null && !fullMatch(rules.pattern, value)) return [err(pointer, "validation.pattern", { pattern: rules.pattern })];
  if (rules.allowed_values && !rules.allowed_values.includes(value)) return [err(pointer, "validation.not_allowed")];
  if (component.input_type === "email" && !EMAIL.test(value)) return [err(pointer, "validation.email")];
  if (component.input_type === "tel" && !TEL.test(value)) return [err(pointer, "validation.tel")];
  if (component.input_type === "date") {
    if (!validDate(value)) return [err(pointer, "validation.date")];
    if (rules.min_date && value < resolveDate(rules.min_date)) return [err(pointer, "validation.min_date", { min_date: resolveDate(rules.min_date) })];
    if (rules.max_date && value > resolveDate(rules.max_date)) return [err(pointer, "validation.max_date", { max_date: resolveDate(rules.max_date) })];
  }
  return [];
}

function choiceErrors(component, value, pointer, options) {
  const allowed = (component.validation || {}).allowed_values || options;
  return allowed.includes(value) ? [] : [err(pointer, "validation.not_allowed")];
}

function countErrors(pointer, count, min, max) {
  if (count < min) return [err(pointer, "validation.min_items", { min_items: min })];
  if (count > max) return [err(pointer, "validation.max_items", { max_items: max })];
  return [];
}

/**
 * Every problem with `value` for `component` as {pointer, code, params}; `conditions(component, values)` gives
 * [visible, required] for the fields of a repeater's items.
 */
export function validateValue(component, value, { pointer, required, conditions }) {
  const minimum = component.type === "input.repeater" ? component.min_items || 0
    : component.type === "input.file" ? component.min_files || 0 : 0;
  if (isEmpty(value) && !(minimum > 0 && Array.isArray(value))) {
    return required || minimum > 0 ? [err(pointer, "validation.required")] : [];
  }
  switch (component.type) {
    case "input.text":
      return textErrors(component, value, pointer);
    case "input.select":
    case "input.radio":
      return choiceErrors(component, value, pointer, component.options.map((o) => o.value));
    case "input.country":
      return component.countries ? choiceErrors(component, value, pointer, component.countries) : [];
    case "input.checkbox":
    case "input.consent":
      return [];
    case "capture.document":
    case "capture.selfie":
      return (Array.isArray(value) ? value : [value]).every((id) => FILE_ID.test(id)) ? [] : [err(pointer, "validation.file_id")];
    case "input.file":
      return countErrors(pointer, value.length, component.min_files || 0, component.max_files ?? 1);
    case "input.repeater": {
      const counted = countErrors(pointer, value.length, component.min_items || 0, component.max_items ?? 20);
      if (counted.length) return counted;
      return value.flatMap((item, i) => validateForm(component.fields, item, conditions, pointerJoin(pointer, i)));
    }
    default:
      return [];
  }
}

/** Validate the visible inputs of a form (or of one repeater item, under `base`). */
export function validateForm(inputs, values, conditions, base = "") {
  const errors = [];
  for (const component of inputs) {
    const [visible, required] = conditions(component, values);
    if (!visible) continue;
    errors.push(...validateValue(component, values[component.name], {
      pointer: pointerJoin(base, component.name), required, conditions,
    }));
  }
  return errors;
}
