// The labeling form of an annotation item, from the form its project's label config makes (the
// human task's `form`): a single choice (`{"label"}` of an enum) as radio buttons, multiple
// choices (`{"labels"}`, an array of an enum) as checkboxes, a text (`{"text"}`) as a text area,
// anything else (boxes, spans, a JSON schema) as the annotation's JSON. Prefilled with the
// previous annotation when the item came back; the server's problems (`answer.label`) are shown
// under it.

import { h, jsonBlock } from "./dom.js";

/** Which control the form `schema` gets: "choice", "choices", "text" or "json". */
export function labelKind(schema) {
  const props = (schema && schema.properties) || {};
  const names = Object.keys(props);
  if (names.length !== 1) return "json";
  const [name] = names;
  const p = props[name];
  if (name === "label" && p.type === "string" && Array.isArray(p.enum)) return "choice";
  if (name === "labels" && p.type === "array" && p.items && Array.isArray(p.items.enum)) return "choices";
  if (name === "text" && p.type === "string") return "text";
  return "json";
}

/** A `<form>`; `onSubmit(annotation)` may throw an APIError whose `errors` are then shown. */
export function labelForm(schema, previous, onSubmit) {
  const kind = labelKind(schema);
  const error = h("div", { class: "field-error", id: "label-error", role: "alert", hidden: true });
  const form = h("form", { class: "label-form", id: "label-form", novalidate: true, "data-kind": kind, "aria-label": "Annotation" });
  let control;
  let collect;
  if (kind === "choice" || kind === "choices") {
    const labels = kind === "choice" ? schema.properties.label.enum : schema.properties.labels.items.enum;
    const chosen = new Set(kind === "choice" ? [previous && previous.label] : (previous && previous.labels) || []);
    const inputs = labels.map((label, i) => h("input", { type: kind === "choice" ? "radio" : "checkbox", name: "label", id: `label-${i}`, value: label, checked: chosen.has(label) }));
    control = h("fieldset", { class: "label-choices", id: "label-choices", "aria-describedby": "label-error" },
      h("legend", { class: "field-name" }, kind === "choice" ? "Label (one)" : "Labels (one or more)"),
      inputs.map((input, i) => h("label", { class: "label-choice", for: input.id }, input, h("span", {}, labels[i]))));
    collect = () => {
      const picked = inputs.filter((i) => i.checked).map((i) => i.value);
      if (!picked.length) return { problem: kind === "choice" ? "Choose a label." : "Choose at least one label." };
      return { value: kind === "choice" ? { label: picked[0] } : { labels: picked } };
    };
  } else if (kind === "text") {
    const area = h("textarea", { id: "label-text", rows: 4, "aria-describedby": "label-error", value: (previous && typeof previous.text === "string") ? previous.text : "" });
    control = h("div", { class: "field" }, h("label", { for: "label-text" }, h("span", { class: "field-name" }, "Text")), area);
    collect = () => (area.value.trim() ? { value: { text: area.value } } : { problem: "Write the text." });
  } else {
    const area = h("textarea", { id: "label-json", class: "mono", rows: 8, spellcheck: "false", "aria-describedby": "label-error",
      value: JSON.stringify(previous && typeof previous === "object" ? previous : {}, null, 2) });
    control = h("div", { class: "field" }, h("label", { for: "label-json" }, h("span", { class: "field-name" }, "Annotation"), h("span", { class: "field-type" }, " JSON object")), area,
      h("details", {}, h("summary", {}, "What it must look like (its JSON Schema)"), jsonBlock(schema || { type: "object" })));
    collect = () => {
      try {
        const value = JSON.parse(area.value);
        if (!value || typeof value !== "object" || Array.isArray(value)) return { problem: "An annotation is a JSON object." };
        return { value };
      } catch (e) { return { problem: `Not valid JSON: ${e.message}` }; }
    };
  }
  const submit = h("button", { type: "submit", class: "primary", id: "label-submit" }, "Submit");
  form.append(control, error, h("div", { class: "form-actions" }, submit));
  const show = (messages) => {
    error.hidden = !messages.length;
    error.replaceChildren(...messages.map((m) => h("div", {}, m)));
    const focusable = form.querySelector("input, textarea");
    if (messages.length && focusable) focusable.focus();
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    show([]);
    const { value, problem } = collect();
    if (problem) { show([problem]); return; }
    submit.disabled = true;
    try {
      await onSubmit(value);
    } catch (e) {
      const list = e.errors && e.errors.length ? e.errors.map((p) => `${(p.path || "").replace(/^answer\.?/, "") || "annotation"}: ${p.message}`) : [e.message];
      show(list);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
