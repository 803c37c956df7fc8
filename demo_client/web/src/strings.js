// The SDK's own words (buttons, camera prompts, statuses) and the validation messages, in the session's language.
// They come from the server's message catalogs (GET /sdk/web/strings/<locale>.json), the same catalogs the
// server renders screens from, so a language the server speaks is complete here too.

const RTL_LANGUAGES = new Set(["ar", "dv", "fa", "he", "ku", "ps", "sd", "ug", "ur", "yi"]);

/** "rtl" for a locale written right to left, else "ltr". */
export function directionOf(locale) {
  const language = String(locale || "en").split("-")[0].toLowerCase();
  try {
    const info = new Intl.Locale(locale).getTextInfo?.() ?? new Intl.Locale(locale).textInfo;
    if (info && info.direction) return info.direction;
  } catch {
    // an unknown tag: fall back to the list
  }
  return RTL_LANGUAGES.has(language) ? "rtl" : "ltr";
}

export class Strings {
  constructor(locale, messages, countries, onMissing) {
    this.locale = locale;
    this.messages = messages;
    this.countries = countries;
    this.onMissing = onMissing;
    this.missing = new Set();
  }

  static async load(baseUrl, locale, onMissing) {
    const response = await fetch(`${baseUrl}/sdk/web/strings/${encodeURIComponent(locale)}.json`);
    if (!response.ok) throw new Error(`Expected the SDK strings for ${locale}, got HTTP ${response.status}`);
    const body = await response.json();
    return new Strings(body.locale, body.messages, body.countries, onMissing);
  }

  has(key) {
    return Object.hasOwn(this.messages, key);
  }

  /** The text of `key` with `{name}` placeholders filled from `params`; a missing key is reported, not hidden. */
  t(key, params = {}) {
    let text = this.messages[key];
    if (text === undefined) {
      if (!this.missing.has(key)) {
        this.missing.add(key);
        this.onMissing?.(key, this.locale);
      }
      text = key;
    }
    return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
  }

  /** Country names in the session's language, sorted as its speakers sort them. */
  countryOptions(allowList) {
    const names = new Intl.DisplayNames([this.locale, "en"], { type: "region" });
    const codes = allowList && allowList.length ? allowList : this.countries;
    const collator = new Intl.Collator(this.locale);
    return codes
      .map((code) => ({ value: code, label: names.of(code) || code }))
      .sort((a, b) => collator.compare(a.label, b.label));
  }
}
