// The labeling controls for regions of an item: boxes drawn on an image (`{"boxes": [{"label",
// "x", "y", "width", "height"}]}`, in the image's own pixels, from its top left corner) and
// spans marked in a text (`{"spans": [{"label", "start", "end"}]}`, offsets in the text as
// JavaScript counts its characters — UTF-16 code units, as Label Studio counts them — `end`
// excluded). Each has a mouse way (drag a box on the image; select words, then a label's
// button) and a keyboard way (the numbers, a label, Add), and lists its regions with Remove.
// Used by label-form.js; they answer `{ control, collect }` as its other controls do.

import { h } from "./dom.js";

const round = (n) => Math.round(n * 10) / 10;

/** The label radio buttons of a region control; `picked()` is the chosen label. */
function labelPicker(labels, prefix, legend) {
  const inputs = labels.map((label, i) => h("input", { type: "radio", name: `${prefix}-label`, id: `${prefix}-label-${i}`, value: label, checked: i === 0 }));
  const fieldset = h("fieldset", { class: "label-choices", id: `${prefix}-labels` },
    h("legend", { class: "field-name" }, legend),
    inputs.map((input, i) => h("label", { class: "label-choice", for: input.id }, input, h("span", {}, labels[i]))));
  return { fieldset, picked: () => (inputs.find((i) => i.checked) || inputs[0]).value };
}

function numberField(id, name, min = 0) {
  const input = h("input", { type: "number", id, min, step: "any", inputmode: "decimal", class: "num-input" });
  return { input, field: h("label", { class: "inline-field", for: id }, h("span", { class: "field-name" }, name), input) };
}

/** Boxes on the image at `url`; `previous` prefills them. */
export function boxesControl(labels, previous, url, problem) {
  let boxes = previous && Array.isArray(previous.boxes) ? previous.boxes.map((b) => ({ ...b })) : [];
  const picker = labelPicker(labels, "box", "Label of the next box");
  const img = h("img", { class: "box-image", id: "box-image", src: url, alt: `The item's image: drag on it to draw a box`, draggable: "false", referrerpolicy: "no-referrer" });
  const overlay = h("div", { class: "box-overlay", id: "box-overlay", "aria-hidden": "true" });
  const surface = h("div", { class: "box-surface", id: "box-surface" }, img, overlay);
  const list = h("ol", { class: "region-list", id: "box-list", "aria-live": "polite" });
  const size = () => ({ w: img.naturalWidth || img.clientWidth || 1, h: img.naturalHeight || img.clientHeight || 1 });
  const redraw = (draft) => {
    const { w, h: ht } = size();
    const shapes = (draft ? [...boxes, { ...draft, draft: true }] : boxes).map((b, k) => h("div", {
      class: b.draft ? "box draft" : "box", "data-box": b.draft ? "draft" : k, "data-label": b.label,
      style: `left:${(b.x / w) * 100}%;top:${(b.y / ht) * 100}%;width:${(b.width / w) * 100}%;height:${(b.height / ht) * 100}%`,
    }, b.draft ? null : h("span", { class: "box-tag" }, b.label)));
    overlay.replaceChildren(...shapes);
    list.replaceChildren(...boxes.map((b, k) => {
      const remove = h("button", { type: "button", class: "link-button small", id: `box-remove-${k}`, "aria-label": `Remove box ${k + 1} (${b.label})` }, "Remove");
      remove.addEventListener("click", () => { boxes.splice(k, 1); redraw(); });
      return h("li", { "data-box": k }, h("span", { class: "strong" }, b.label), ` at ${b.x}, ${b.y}, ${b.width} × ${b.height} `, remove);
    }));
    if (!boxes.length) list.replaceChildren(h("li", { class: "muted", "data-empty": "boxes" }, "No box yet: drag on the image, or give the numbers below."));
  };
  img.addEventListener("load", () => redraw());
  // Drawing: where the pointer went down to where it is, in the image's own pixels.
  let start = null;
  const at = (event) => {
    const r = img.getBoundingClientRect();
    const { w, h: ht } = size();
    const x = Math.min(Math.max(event.clientX - r.left, 0), r.width);
    const y = Math.min(Math.max(event.clientY - r.top, 0), r.height);
    return { x: (x / (r.width || 1)) * w, y: (y / (r.height || 1)) * ht };
  };
  const boxOf = (a, b) => ({ label: picker.picked(), x: round(Math.min(a.x, b.x)), y: round(Math.min(a.y, b.y)), width: round(Math.abs(a.x - b.x)), height: round(Math.abs(a.y - b.y)) });
  surface.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    start = at(event);
    if (surface.setPointerCapture) { try { surface.setPointerCapture(event.pointerId); } catch { /* a synthetic pointer */ } }
  });
  surface.addEventListener("pointermove", (event) => { if (start) redraw(boxOf(start, at(event))); });
  const finish = (event) => {
    if (!start) return;
    const box = boxOf(start, at(event));
    start = null;
    if (box.width >= 2 && box.height >= 2) boxes.push(box);
    redraw();
  };
  surface.addEventListener("pointerup", finish);
  surface.addEventListener("pointercancel", () => { start = null; redraw(); });
  // The keyboard way.
  const fx = numberField("box-x", "x"), fy = numberField("box-y", "y"), fw = numberField("box-width", "width"), fh = numberField("box-height", "height");
  const add = h("button", { type: "button", id: "box-add" }, "Add box");
  add.addEventListener("click", () => {
    const values = [fx, fy, fw, fh].map((f) => Number(f.input.value));
    if ([fx, fy, fw, fh].some((f) => f.input.value === "") || values.some((v) => !Number.isFinite(v) || v < 0)) {
      problem("Give x, y, width and height as numbers of 0 or more (the image's own pixels).");
      return;
    }
    problem(null);
    boxes.push({ label: picker.picked(), x: values[0], y: values[1], width: values[2], height: values[3] });
    for (const f of [fx, fy, fw, fh]) f.input.value = "";
    redraw();
  });
  redraw();
  const control = h("div", { class: "region-control", "data-regions": "boxes" },
    picker.fieldset,
    h("p", { class: "small muted" }, "Drag on the image to draw a box with the chosen label."),
    surface, list,
    h("details", { class: "region-manual" }, h("summary", {}, "Add a box by its numbers"),
      h("div", { class: "inline-fields" }, fx.field, fy.field, fw.field, fh.field, add)));
  return { control, collect: () => ({ value: { boxes: boxes.map(({ label, x, y, width, height }) => ({ label, x, y, width, height })) } }) };
}

/** Spans of `text`; `previous` prefills them. */
export function spansControl(labels, previous, text, problem) {
  let spans = previous && Array.isArray(previous.spans) ? previous.spans.map((s) => ({ ...s })) : [];
  const view = h("div", { class: "span-text item-text", id: "span-text" });
  const list = h("ol", { class: "region-list", id: "span-list", "aria-live": "polite" });
  const redraw = () => {
    // The text cut at every span's ends; a piece inside a span is marked with its label.
    const cuts = new Set([0, text.length]);
    for (const s of spans) { cuts.add(Math.min(Math.max(s.start, 0), text.length)); cuts.add(Math.min(Math.max(s.end, 0), text.length)); }
    const points = [...cuts].sort((a, b) => a - b);
    const pieces = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const [a, b] = [points[i], points[i + 1]];
      const span = spans.find((s) => s.start <= a && b <= s.end);
      pieces.push(span ? h("mark", { "data-label": span.label, title: span.label }, text.slice(a, b)) : document.createTextNode(text.slice(a, b)));
    }
    view.replaceChildren(...pieces);
    list.replaceChildren(...spans.map((s, k) => {
      const remove = h("button", { type: "button", class: "link-button small", id: `span-remove-${k}`, "aria-label": `Remove span ${k + 1} (${s.label})` }, "Remove");
      remove.addEventListener("click", () => { spans.splice(k, 1); redraw(); });
      return h("li", { "data-span": k }, h("span", { class: "strong" }, s.label), ` “${text.slice(s.start, s.end)}” (${s.start}–${s.end}) `, remove);
    }));
    if (!spans.length) list.replaceChildren(h("li", { class: "muted", "data-empty": "spans" }, "No span yet: select words in the text, then a label's button."));
  };
  /** The selection's offsets in the text, or null when it is empty or not in the text. */
  const selected = () => {
    const selection = window.getSelection();
    if (!selection || selection.rangeCount === 0) return null;
    const range = selection.getRangeAt(0);
    if (range.collapsed || !view.contains(range.startContainer) || !view.contains(range.endContainer)) return null;
    const before = document.createRange();
    before.selectNodeContents(view);
    before.setEnd(range.startContainer, range.startOffset);
    const start = before.toString().length;
    return { start, end: start + range.toString().length };
  };
  const marks = labels.map((label, i) => {
    const b = h("button", { type: "button", class: "small-button", id: `span-mark-${i}`, "data-label": label }, `Mark as ${label}`);
    // Keep the selection: a button takes the focus (and, in some browsers, the selection) on mousedown.
    b.addEventListener("mousedown", (event) => event.preventDefault());
    b.addEventListener("click", () => {
      const range = selected();
      if (!range) { problem("Select some words of the text first, then the label's button."); return; }
      problem(null);
      spans.push({ label, ...range });
      window.getSelection().removeAllRanges();
      redraw();
    });
    return b;
  });
  const picker = labelPicker(labels, "span", "Label");
  const fs = numberField("span-start", "start"), fe = numberField("span-end", "end");
  const add = h("button", { type: "button", id: "span-add" }, "Add span");
  add.addEventListener("click", () => {
    const [start, end] = [Number(fs.input.value), Number(fe.input.value)];
    if (fs.input.value === "" || fe.input.value === "" || !Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start || end > text.length) {
      problem(`Give start and end as whole numbers, 0 ≤ start < end ≤ ${text.length} (the text's length).`);
      return;
    }
    problem(null);
    spans.push({ label: picker.picked(), start, end });
    fs.input.value = fe.input.value = "";
    redraw();
  });
  redraw();
  const control = h("div", { class: "region-control", "data-regions": "spans" },
    h("p", { class: "small muted" }, "Select words in the text, then the label to mark them with."),
    view, h("div", { class: "form-actions span-marks" }, marks), list,
    h("details", { class: "region-manual" }, h("summary", {}, "Add a span by its offsets"),
      picker.fieldset, h("div", { class: "inline-fields" }, fs.field, fe.field, add)));
  return { control, collect: () => ({ value: { spans: spans.map(({ label, start, end }) => ({ label, start, end })) } }) };
}
