// The upload form of an annotation workflow's page: items pasted (or read from a file), one per
// line — each line's text is an item's data (a URL, a text) — or as JSON Lines, each line an
// item `{"data": …, "externalId": …}` or any other JSON value as the data. Blank lines are
// skipped. They are sent in batches of 1,000 (the API's most); a problem the server names
// (`items[3].externalId`) is shown with the line it came from, and the upload stops there.

import { h } from "./dom.js";
import { annotation } from "./annotation-api.js";
import { announce } from "./shell.js";

const BATCH = 1000;

/** The items of `text` with their line numbers: `{items: [{line, item}], problems: [{line, message}]}`. */
export function parseItems(text, jsonLines) {
  const items = [];
  const problems = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (!raw.trim()) return;
    if (!jsonLines) { items.push({ line, item: { data: raw.trim() } }); return; }
    let value;
    try { value = JSON.parse(raw); } catch (error) { problems.push({ line, message: `not valid JSON: ${error.message}` }); return; }
    const isItem = value && typeof value === "object" && !Array.isArray(value) && "data" in value
      && Object.keys(value).every((k) => k === "data" || k === "externalId");
    items.push({ line, item: isItem ? value : { data: value } });
  });
  return { items, problems };
}

export function uploadForm(workflowId, onUploaded) {
  const text = h("textarea", { id: "upload-text", class: "mono", rows: 6, spellcheck: "false", "aria-describedby": "upload-hint upload-problems",
    placeholder: "https://example.com/images/1.jpg\nhttps://example.com/images/2.jpg" });
  const file = h("input", { id: "upload-file", type: "file", accept: ".txt,.jsonl,.json,.csv,text/plain" });
  const mode = (value, label, checked) => h("label", { class: "inline-choice" },
    h("input", { type: "radio", name: "upload-format", value, id: `upload-format-${value}`, checked }), ` ${label}`);
  const status = h("p", { class: "note", id: "upload-status", role: "status" });
  const problems = h("div", { class: "form-error", id: "upload-problems", role: "alert", hidden: true });
  const submit = h("button", { type: "submit", class: "primary", id: "upload-button" }, "Upload");
  const form = h("form", { id: "upload-form", novalidate: true },
    h("fieldset", { class: "inline-choices" }, h("legend", {}, "Each line is"),
      mode("lines", "an item's data (a URL or a text)", true), mode("jsonl", "JSON (JSON Lines: {\"data\": …, \"externalId\": …}, or the data itself)", false)),
    h("div", { class: "field" }, h("label", { for: "upload-text" }, h("span", { class: "field-name" }, "Items")), text,
      h("div", { class: "hint", id: "upload-hint" }, "One item per line; sent in batches of 1,000."), problems),
    h("div", { class: "field" }, h("label", { for: "upload-file" }, "Or read a file into the box"), file),
    h("div", { class: "form-actions" }, submit, status));
  file.addEventListener("change", async () => {
    const chosen = file.files && file.files[0];
    if (!chosen) return;
    text.value = await chosen.text();
    if (/\.jsonl?$/i.test(chosen.name)) form.querySelector("#upload-format-jsonl").checked = true;
  });
  const showProblems = (list) => {
    problems.hidden = !list.length;
    problems.replaceChildren(...list.slice(0, 50).map((p) => h("div", { "data-line": p.line ?? "" }, p.line ? `Line ${p.line}: ${p.message}` : p.message)),
      list.length > 50 ? h("div", {}, `and ${list.length - 50} more`) : "");
    if (list.length) text.setAttribute("aria-invalid", "true"); else text.removeAttribute("aria-invalid");
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showProblems([]);
    status.textContent = "";
    const jsonLines = form.querySelector("#upload-format-jsonl").checked;
    const parsed = parseItems(text.value, jsonLines);
    if (parsed.problems.length) { showProblems(parsed.problems); text.focus(); return; }
    if (!parsed.items.length) { showProblems([{ message: "Nothing to upload: the box has no item." }]); text.focus(); return; }
    submit.disabled = true;
    let sent = 0;
    try {
      for (let start = 0; start < parsed.items.length; start += BATCH) {
        const batch = parsed.items.slice(start, start + BATCH);
        status.textContent = `Uploading ${start + 1}–${start + batch.length} of ${parsed.items.length}…`;
        try {
          await annotation.upload(workflowId, batch.map((b) => b.item));
        } catch (error) {
          const list = (error.errors || []).map((p) => {
            const m = /^items\[(\d+)\](.*)$/.exec(p.path || "");
            const entry = m ? batch[Number(m[1])] : null;
            return entry ? { line: entry.line, message: `${m[2] ? `${m[2].replace(/^\./, "")}: ` : ""}${p.message}` } : { message: p.path ? `${p.path}: ${p.message}` : p.message };
          });
          showProblems(list.length ? list : [{ message: error.message }]);
          status.textContent = sent ? `${sent} items were uploaded (up to line ${parsed.items[sent - 1].line}); nothing from line ${batch[0].line} on.` : "Nothing was uploaded.";
          text.focus();
          return;
        }
        sent += batch.length;
      }
      status.textContent = `${sent} item${sent === 1 ? "" : "s"} uploaded.`;
      announce(status.textContent);
      text.value = "";
      onUploaded();
    } finally {
      submit.disabled = false;
    }
  });
  return h("section", { class: "card", id: "upload", "aria-labelledby": "upload-heading" }, h("h2", { id: "upload-heading" }, "Upload items"), form);
}
