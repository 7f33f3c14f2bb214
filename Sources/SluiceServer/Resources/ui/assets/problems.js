// Showing an API's problems (`{path, message}`) next to the fields they name: the annotation
// forms register their fields by path (`name`, `labelConfig.labels`, `workflow.pools[1].workers`),
// and a problem lands on the longest registered path it starts with, or in the form's box.

import { h } from "./dom.js";

/** A field's error box: `{el, show(text), clear()}`; `control` gets aria-invalid while it shows. */
export function fieldError(id, control) {
  const el = h("div", { class: "field-error", id, role: "alert", hidden: true });
  if (control) control.setAttribute("aria-describedby", id);
  return {
    el, control,
    show(text) { el.hidden = false; el.append(h("div", {}, text)); if (control) control.setAttribute("aria-invalid", "true"); },
    clear() { el.hidden = true; el.replaceChildren(); if (control) control.removeAttribute("aria-invalid"); },
  };
}

/** Where problems go: `add(path, fieldError)`, then `show(problems)` / `clear()`. */
export class ProblemBoard {
  constructor(formError) {
    this.fields = new Map();
    this.formError = formError; // a fieldError without a control
  }

  /** `noun` names a list's entries in a problem about one (`workers[1]` → "worker 2: …"). */
  add(path, error, noun = null) { error.noun = noun; this.fields.set(path, error); return error; }

  clear() {
    for (const e of this.fields.values()) e.clear();
    this.formError.clear();
  }

  /** Places each problem; focuses the first field marked. Returns how many found a field. */
  show(problems) {
    let placed = 0;
    for (const p of problems) {
      const path = p.path || "";
      let best = null;
      for (const key of this.fields.keys()) {
        if ((path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`)) && (!best || key.length > best.length)) best = key;
      }
      if (best !== null) {
        const field = this.fields.get(best);
        const rest = path.slice(best.length);
        const entry = /^\[(\d+)\]$/.exec(rest);
        const where = entry && field.noun ? `${field.noun} ${Number(entry[1]) + 1}` : rest.replace(/^\./, "");
        field.show(where ? `${where}: ${p.message}` : p.message);
        placed++;
      } else {
        this.formError.show(path ? `${path}: ${p.message}` : p.message);
      }
    }
    const first = [...this.fields.values()].find((f) => f.control && f.control.getAttribute("aria-invalid") === "true");
    if (first) first.control.focus();
    return placed;
  }
}
