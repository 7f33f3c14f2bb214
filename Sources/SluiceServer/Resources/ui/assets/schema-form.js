// A form generated from an object schema: the "start an execution" form (a workflow's effective
// input schema) and a human task's answer form (its `form`). Client-side checks that mirror the
// server's (Schema+Validation.swift: type, enum, minimum, maximum, minLength/maxLength in Unicode
// scalars, required, additionalProperties), and the server's `errors[].path` (`input.text`,
// `input.items[2]`; `answer.approved` for an answer) shown next to the field concerned.

import { h } from "./dom.js";

function article(type) {
  return ["object", "array", "integer"].includes(type) ? `an ${type}` : type === "null" ? "null" : `a ${type}`;
}

function kindName(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "boolean") return "boolean";
  return typeof value; // string, number, object
}

function matches(value, type) {
  switch (type) {
    case "object": return value !== null && typeof value === "object" && !Array.isArray(value);
    case "array": return Array.isArray(value);
    case "string": return typeof value === "string";
    case "number": return typeof value === "number";
    case "integer": return typeof value === "number" && Number.isInteger(value);
    case "boolean": return typeof value === "boolean";
    case "null": return value === null;
    default: return true;
  }
}

function equal(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

/** "1 character", "3 characters" (the server words it the same). */
export function characters(n) { return `${n} character${n === 1 ? "" : "s"}`; }

function memberPath(path, name) { return /^[A-Za-z0-9_-]+$/.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`; }

/** Every problem of `value` against `schema`, as `{path, message}`; mirrors the server. */
export function validate(value, schema, path = "input") {
  const issues = [];
  if (!schema || typeof schema !== "object") return issues;
  const type = Array.isArray(schema.type) ? null : schema.type;
  if (type && !matches(value, type)) {
    issues.push({ path, message: `expected ${article(type)}, found ${kindName(value)}` });
    return issues;
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => equal(e, value))) {
    issues.push({ path, message: `expected one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}` });
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) issues.push({ path, message: `expected a number >= ${schema.minimum}` });
    if (typeof schema.maximum === "number" && value > schema.maximum) issues.push({ path, message: `expected a number <= ${schema.maximum}` });
  } else if (typeof value === "string") {
    const length = [...value].length;
    if (typeof schema.minLength === "number" && length < schema.minLength) issues.push({ path, message: `expected at least ${characters(schema.minLength)}, found ${length}` });
    if (typeof schema.maxLength === "number" && length > schema.maxLength) issues.push({ path, message: `expected at most ${characters(schema.maxLength)}, found ${length}` });
  } else if (Array.isArray(value)) {
    if (schema.items && typeof schema.items === "object") value.forEach((item, i) => issues.push(...validate(item, schema.items, `${path}[${i}]`)));
  } else if (value && typeof value === "object") {
    const properties = schema.properties || {};
    for (const name of schema.required || []) {
      if (!(name in value)) {
        const t = properties[name] && properties[name].type;
        issues.push({ path: memberPath(path, name), message: `required property is missing; expected a value${t && !Array.isArray(t) ? ` (${article(t)})` : ""}` });
      }
    }
    for (const [name, member] of Object.entries(value)) {
      const p = memberPath(path, name);
      if (properties[name]) issues.push(...validate(member, properties[name], p));
      else if (schema.additionalProperties === false) {
        const known = Object.keys(properties);
        issues.push({ path: p, message: `unexpected property; ${known.length ? `allowed: ${known.join(", ")}` : "no properties are allowed"}` });
      } else if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
        issues.push(...validate(member, schema.additionalProperties, p));
      }
    }
  }
  return issues;
}

/** The top-level property an error path is about: `input.text` → `text`, `input.items[2]` →
 *  `items` (`root` is the name the server gives the whole value: `input`, or `answer`). */
export function fieldOf(path, root = "input") {
  const p = path || "";
  if (!p.startsWith(root)) return null;
  const m = /^(?:\.([A-Za-z0-9_-]+)|\[("(?:[^"\\]|\\.)*")\])/.exec(p.slice(root.length));
  if (!m) return null;
  return m[1] !== undefined ? m[1] : JSON.parse(m[2]);
}

function kindOf(schema) {
  if (Array.isArray(schema.enum) && schema.enum.length) return "enum";
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type === "string") return "string";
  if (type === "number" || type === "integer") return type;
  if (type === "boolean") return "boolean";
  return "json";
}

/** The words of the workflow input form; a human task's answer form passes its own. */
const INPUT_WORDS = {
  root: "input",              // the path the server's errors start with (`input.text`)
  idPrefix: "input",          // field ids: `input-text`, `input-text-error`, `input-raw`
  formLabel: "Execution input",
  rawLabel: "Input",
  closed: "This workflow takes no input.",
  open: "This workflow needs no input. Use “Edit as JSON” to pass some anyway (its steps can read input.<name>).",
};

/**
 * A form for `schema` (an object schema). `onSubmit(value)` is called with the checked value;
 * it may throw an APIError whose `errors` are then shown by path. `words` overrides INPUT_WORDS
 * (the path root, the ids, the labels). Returns the `<form>`.
 */
export function inputForm(schema, { onSubmit, submitLabel = "Start execution", words: given = {} }) {
  const words = { ...INPUT_WORDS, ...given };
  const root = words.root;
  const properties = (schema && schema.properties) || {};
  const required = new Set((schema && schema.required) || []);
  const fields = new Map(); // name → {kind, control, error, wrapper}
  const formError = h("div", { class: "form-error", role: "alert", hidden: true });
  const form = h("form", { class: "input-form", novalidate: true, "aria-label": words.formLabel });

  const fieldList = h("div", { class: "fields" });
  for (const [name, prop] of Object.entries(properties)) {
    const kind = kindOf(prop);
    const id = `${words.idPrefix}-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
    const errorID = `${id}-error`;
    const common = { id, name, "data-field": name, "aria-describedby": errorID };
    let control;
    if (kind === "enum") {
      control = h("select", common,
        required.has(name) ? null : h("option", { value: "" }, "(none)"),
        prop.enum.map((v, i) => h("option", { value: String(i) }, typeof v === "string" ? v : JSON.stringify(v))));
      if (prop.default !== undefined) {
        const i = prop.enum.findIndex((v) => equal(v, prop.default));
        if (i >= 0) control.value = String(i);
      }
    } else if (kind === "boolean") {
      control = h("input", { ...common, type: "checkbox", checked: prop.default === true });
    } else if (kind === "number" || kind === "integer") {
      control = h("input", { ...common, type: "number", step: kind === "integer" ? "1" : "any", min: prop.minimum, max: prop.maximum,
        value: typeof prop.default === "number" ? String(prop.default) : "", inputmode: "decimal" });
    } else if (kind === "string") {
      const long = !prop.maxLength || prop.maxLength > 120;
      control = long
        ? h("textarea", { ...common, rows: 2, value: typeof prop.default === "string" ? prop.default : "" })
        : h("input", { ...common, type: "text", maxlength: prop.maxLength, value: typeof prop.default === "string" ? prop.default : "" });
    } else {
      const type = prop.type ? ` (${Array.isArray(prop.type) ? prop.type.join(" or ") : prop.type})` : "";
      control = h("textarea", { ...common, class: "mono", rows: 3, placeholder: `JSON${type}`,
        value: prop.default !== undefined ? JSON.stringify(prop.default, null, 2) : "" });
    }
    if (required.has(name)) control.setAttribute("aria-required", "true");
    const hints = [];
    if (prop.description) hints.push(prop.description);
    const limits = [];
    if (typeof prop.minimum === "number") limits.push(`≥ ${prop.minimum}`);
    if (typeof prop.maximum === "number") limits.push(`≤ ${prop.maximum}`);
    if (typeof prop.minLength === "number") limits.push(`at least ${characters(prop.minLength)}`);
    if (typeof prop.maxLength === "number") limits.push(`at most ${characters(prop.maxLength)}`);
    if (limits.length) hints.push(limits.join(", "));
    const typeLabel = kind === "json" ? "JSON" : kind === "enum" ? "one of" : kind;
    const error = h("div", { class: "field-error", id: errorID, role: "alert", hidden: true });
    const label = h("label", { for: id },
      h("span", { class: "field-name" }, prop.title || name),
      required.has(name) ? h("span", { class: "required", title: "required" }, " *") : null,
      h("span", { class: "field-type" }, ` ${typeLabel}`));
    const wrapper = h("div", { class: ["field", kind === "boolean" && "field-boolean"], "data-field-wrapper": name },
      label, control, hints.length ? h("div", { class: "hint" }, hints.join(" · ")) : null, error);
    fields.set(name, { kind, control, error, wrapper, prop });
    fieldList.append(wrapper);
  }

  // Raw JSON: the whole input object, for schemas the fields cannot express (extra members).
  const rawID = `${words.idPrefix}-raw`;
  const rawError = h("div", { class: "field-error", id: `${rawID}-error`, role: "alert", hidden: true });
  const raw = h("textarea", { id: rawID, class: "mono", rows: 6, "aria-describedby": `${rawID}-error`, spellcheck: "false" });
  const rawWrapper = h("div", { class: "field", hidden: true },
    h("label", { for: rawID }, h("span", { class: "field-name" }, words.rawLabel), h("span", { class: "field-type" }, " JSON object")), raw, rawError);
  let rawMode = false;

  const clearErrors = () => {
    formError.hidden = true; formError.textContent = "";
    for (const f of fields.values()) { f.error.hidden = true; f.error.textContent = ""; f.control.removeAttribute("aria-invalid"); }
    rawError.hidden = true; rawError.textContent = ""; raw.removeAttribute("aria-invalid");
  };

  /** Shows `{path, message}` problems: by field when one matches, else above the button. */
  const showErrors = (errors) => {
    const general = [];
    for (const e of errors) {
      const name = fieldOf(e.path, root);
      const field = !rawMode && name !== null ? fields.get(name) : null;
      const target = rawMode && (e.path || "").startsWith(root) ? { error: rawError, control: raw } : field;
      if (target) {
        target.error.hidden = false;
        const exact = target === field && e.path === memberPath(root, name);
        target.error.append(h("div", {}, exact ? e.message : `${e.path}: ${e.message}`));
        target.control.setAttribute("aria-invalid", "true");
      } else {
        general.push(e.path ? `${e.path}: ${e.message}` : e.message);
      }
    }
    if (general.length) {
      formError.hidden = false;
      formError.append(...general.map((m) => h("div", {}, m)));
    }
    const first = form.querySelector("[aria-invalid=true]");
    if (first) first.focus();
  };

  /** The input from the fields: `{input}` or `{errors}` (parse problems). */
  const collect = () => {
    if (rawMode) {
      const text = raw.value.trim();
      if (!text) return { input: {} };
      try { return { input: JSON.parse(text) }; } catch (error) {
        return { errors: [{ path: root, message: `not valid JSON: ${error.message}` }] };
      }
    }
    const input = {};
    const errors = [];
    for (const [name, f] of fields) {
      const path = memberPath(root, name);
      if (f.kind === "boolean") { input[name] = f.control.checked; continue; }
      const text = f.control.value;
      if (f.kind === "enum") { if (text !== "") input[name] = f.prop.enum[Number(text)]; continue; }
      if (text === "" && f.kind !== "string") continue;
      if (text === "" && f.kind === "string" && !required.has(name)) continue;
      if (f.kind === "string") input[name] = text;
      else if (f.kind === "number" || f.kind === "integer") {
        const n = Number(text);
        if (text.trim() === "" || !Number.isFinite(n)) errors.push({ path, message: "expected a number" });
        else input[name] = n;
      } else {
        try { input[name] = JSON.parse(text); } catch (error) { errors.push({ path, message: `not valid JSON: ${error.message}` }); }
      }
    }
    return errors.length ? { errors } : { input };
  };

  const toggle = h("button", { type: "button", class: "link-button", "aria-pressed": "false" }, "Edit as JSON");
  toggle.addEventListener("click", () => {
    const current = collect();
    rawMode = !rawMode;
    toggle.setAttribute("aria-pressed", String(rawMode));
    toggle.textContent = rawMode ? "Edit as form" : "Edit as JSON";
    if (rawMode) raw.value = JSON.stringify(current.input || {}, null, 2);
    else if (!current.errors && current.input && typeof current.input === "object") {
      for (const [name, f] of fields) {
        const v = current.input[name];
        if (f.kind === "boolean") f.control.checked = v === true;
        else if (f.kind === "enum") f.control.value = v === undefined ? "" : String(f.prop.enum.findIndex((e) => equal(e, v)));
        else if (v === undefined) f.control.value = "";
        else f.control.value = typeof v === "string" && f.kind === "string" ? v : JSON.stringify(v, null, f.kind === "json" ? 2 : 0);
      }
    }
    fieldList.hidden = rawMode;
    rawWrapper.hidden = !rawMode;
    clearErrors();
  });

  const submit = h("button", { type: "submit", class: "primary" }, submitLabel);
  const none = Object.keys(properties).length === 0
    ? h("p", { class: "muted" }, schema && schema.additionalProperties === false ? words.closed : words.open)
    : null;
  form.append(none || "", fieldList, rawWrapper, formError,
    h("div", { class: "form-actions" }, submit, toggle));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    const collected = collect();
    const problems = collected.errors || validate(collected.input, schema || {}, root);
    if (problems.length) { showErrors(problems); return; }
    submit.disabled = true;
    try {
      await onSubmit(collected.input);
    } catch (error) {
      if (error.errors && error.errors.length) showErrors(error.errors);
      else showErrors([{ path: "", message: error.message }]);
    } finally {
      submit.disabled = false;
    }
  });
  form.showErrors = showErrors;
  return form;
}
