// The labeling form of an annotation item, from the form its project's label config makes (the
// human task's `form`): a single choice (`{"label"}` of an enum) as radio buttons, multiple
// choices (`{"labels"}`, an array of an enum) as checkboxes, a text (`{"text"}`) as a text area,
// boxes (`{"boxes"}`) drawn on the item's image and spans (`{"spans"}`) marked in its text
// (label-regions.js), anything else (a JSON schema; boxes when the item is not an image, spans
// when it is not text) as the annotation's JSON. Prefilled with the previous annotation when the
// item came back; the server's problems (`answer.label`) are shown under it.

import { h, jsonBlock } from "./dom.js";
import { isImageURL } from "./item-data.js";
import { boxesControl, spansControl } from "./label-regions.js";

/** The labels of a region kind's items (`boxes[].label`), or null. */
function regionLabels(p) {
  const label = p && p.type === "array" && p.items && p.items.properties && p.items.properties.label;
  return label && Array.isArray(label.enum) ? label.enum : null;
}

/** Which control the form `schema` gets for an item whose data is `data`: "choice",
 *  "choices", "text", "boxes" (an image), "spans" (a text) or "json". */
export function labelKind(schema, data) {
  const props = (schema && schema.properties) || {};
  const names = Object.keys(props);
  if (names.length !== 1) return "json";
  const [name] = names;
  const p = props[name];
  if (name === "label" && p.type === "string" && Array.isArray(p.enum)) return "choice";
  if (name === "labels" && p.type === "array" && p.items && Array.isArray(p.items.enum)) return "choices";
  if (name === "text" && p.type === "string") return "text";
  if (name === "boxes" && regionLabels(p) && isImageURL(data)) return "boxes";
  if (name === "spans" && regionLabels(p) && typeof data === "string" && !isImageURL(data)) return "spans";
  return "json";
}

/** A `<form>`; `onSubmit(annotation)` may throw an APIError whose `errors` are then shown.
 *  `data` is the item's data (an image's URL for boxes, the text for spans). */
export function labelForm(schema, previous, onSubmit, data) {
  const kind = labelKind(schema, data);
  const error = h("div", { class: "field-error", id: "label-error", role: "alert", hidden: true });
  const problem = (message) => { error.hidden = !message; error.textContent = message || ""; };
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
  } else if (kind === "boxes") {
    ({ control, collect } = boxesControl(regionLabels(schema.properties.boxes), previous, data.trim(), problem));
  } else if (kind === "spans") {
    ({ control, collect } = spansControl(regionLabels(schema.properties.spans), previous, data, problem));
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
