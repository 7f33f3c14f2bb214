// /ui/new and /ui/workflows/{id}/edit: write a workflow and create it, or store a new version of
// one. The definition is a workflow document in JSON or YAML, read as `sluice workflow create -f`
// reads it (the server converts YAML with the CLI's code). The Name and Description fields are
// put into it before it is sent (unless the document gives them itself, as the examples in the docs
// do). It is checked by `POST /workflows/validate` as you type: the server's problems carry the
// line and column they point at, which the editor numbers, highlights and selects on request;
// the preview keeps the last valid graph meanwhile, with the tasks a problem names marked. An
// edit is stored with `If-Match` naming the version it started from.

import { h, jsonBlock, typeColour, debounce } from "./dom.js";
import { api, APIError, Source } from "./api.js";
import { drawGraph, typeLegend } from "./graph.js";
import { navigate, announce, loadOrNotFound, loading, isNarrow } from "./shell.js";
import { formatOf, topLevelKeys, withMembers, positionInOriginal, positionAt, tokenRange, appendYAMLStep } from "./source-text.js";

const EXAMPLE = `{
  "steps": [
    {"type": "TextOperation.Uppercase"},
    {"type": "Echo"}
  ]
}`;

/** A labelled control with its hint and error area; `shown` is what is drawn for the control
 *  (the control itself, or an element around it). */
function field(id, label, control, hint, shown = control) {
  const error = h("div", { class: "field-error", id: `${id}-error`, role: "alert", hidden: true });
  control.setAttribute("aria-describedby", `${id}-error${hint ? ` ${id}-hint` : ""}`);
  const wrapper = h("div", { class: "field", "data-field-wrapper": id },
    h("label", { for: id }, h("span", { class: "field-name" }, label)), shown,
    hint ? h("div", { class: "hint", id: `${id}-hint` }, hint) : null, error);
  return { wrapper, control, error };
}

/** Shows `messages` (strings or elements) under a field and marks it invalid. */
function setErrors(f, messages) {
  f.error.replaceChildren(...messages.map((m) => h("div", { class: "problem" }, m)));
  f.error.hidden = messages.length === 0;
  if (messages.length) f.control.setAttribute("aria-invalid", "true"); else f.control.removeAttribute("aria-invalid");
}

/** Where a server problem belongs: `name`, `description` or (everything else) `definition`. */
export function fieldForPath(path) {
  if (path === "name" || path.startsWith("name.") || path.startsWith("name[")) return "name";
  if (path === "description" || path.startsWith("description.") || path.startsWith("description[")) return "description";
  return "definition";
}

/** A syntax error's message without what the editor shows beside it (the request body, the
 *  position): `not valid JSON: unexpected character '{'; expected ',' or ']'`. */
export function syntaxMessage(message) {
  return message.replace(/^the body is (not valid (?:JSON|YAML)): (?:line \d+, column \d+: )?/, "$1: ");
}

/** The task a problem's path is about (`tasks[4].type` → the id of tasks[4]), from the document
 *  when it is JSON that parses, else by its place in the last valid graph. */
function taskOfPath(path, text, format, lastGraph) {
  const m = /^(steps|tasks)\[(\d+)\]/.exec(path || "");
  if (!m) return null;
  const index = Number(m[2]);
  if (format === "json") {
    try {
      const list = JSON.parse(text)[m[1]];
      const item = Array.isArray(list) ? list[index] : undefined;
      if (item && typeof item === "object" && typeof item.id === "string") return item.id;
      if (item && m[1] === "steps") return `step-${index + 1}`;
    } catch { /* fall back to the graph */ }
  }
  const task = lastGraph && lastGraph.tasks[index];
  return task ? task.id : null;
}

/**
 * A textarea with line numbers and a layer behind it that highlights stretches of its text (the
 * problems' positions). `mark(ranges)` highlights `[{start, end}]` (offsets) and marks their
 * lines; `select(range)` puts the cursor there, selected, scrolled into view.
 */
function codeEditor(textarea) {
  textarea.setAttribute("wrap", "off");
  const gutter = h("div", { class: "gutter", "aria-hidden": "true" });
  const backdrop = h("pre", { class: "backdrop", "aria-hidden": "true" });
  const element = h("div", { class: "code-editor" }, gutter, h("div", { class: "code-area" }, backdrop, textarea));
  let ranges = [];
  let lineCount = 0;
  const draw = () => {
    const text = textarea.value;
    const lines = text.split("\n").length;
    const bad = new Set(ranges.map((r) => positionAt(text, r.start).line));
    if (lines !== lineCount || gutter.dataset.bad !== [...bad].join(",")) {
      lineCount = lines;
      gutter.dataset.bad = [...bad].join(",");
      gutter.replaceChildren(...Array.from({ length: lines }, (_, i) =>
        h("div", { class: bad.has(i + 1) ? "line-number error" : "line-number", "data-line": i + 1 }, String(i + 1))));
    }
    const parts = [];
    let at = 0;
    for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
      if (r.start < at) continue;
      parts.push(text.slice(at, r.start), h("mark", { "data-line": positionAt(text, r.start).line }, text.slice(r.start, r.end)));
      at = r.end;
    }
    parts.push(text.slice(at), " ");
    backdrop.replaceChildren(...parts);
    sync();
  };
  const sync = () => {
    backdrop.scrollTop = textarea.scrollTop;
    backdrop.scrollLeft = textarea.scrollLeft;
    gutter.scrollTop = textarea.scrollTop;
  };
  textarea.addEventListener("scroll", sync);
  textarea.addEventListener("input", () => { ranges = []; draw(); });
  new ResizeObserver(sync).observe(textarea);
  draw();
  return {
    element,
    mark(next) { ranges = next; draw(); },
    redraw: draw,
    select(range) {
      textarea.focus({ preventScroll: true });
      textarea.setSelectionRange(range.start, range.end);
      const { line } = positionAt(textarea.value, range.start);
      const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 18;
      textarea.scrollTop = Math.max(0, (line - 1) * lineHeight - textarea.clientHeight / 2);
      sync();
      textarea.scrollIntoView({ block: "nearest" });
    },
  };
}

/** What the editor starts from for a stored workflow: the body that stored it (`definition`),
 *  without the name and description, which have fields of their own. */
function definitionOf(workflow) {
  const { name, description, ...rest } = workflow.definition || {};
  return rest;
}

export async function newWorkflowPage(page) {
  return editorPage(page, null);
}

export async function editWorkflowPage(page, workflowID) {
  return editorPage(page, workflowID);
}

async function editorPage(page, workflowID) {
  document.title = workflowID ? `Edit ${workflowID} · Sluice` : "New workflow · Sluice";
  let existing = null;
  let startText = EXAMPLE;
  if (workflowID) {
    page.main.append(loading("Loading the workflow…"));
    existing = await loadOrNotFound(page, () => api.getWorkflow(workflowID), "Workflow", workflowID,
      h("span", {}, "Nothing to edit: check the id, or pick one from ", h("a", { href: "/ui" }, "the list"), "."));
    if (!existing) return;
    startText = JSON.stringify(definitionOf(existing), null, 2);
    if (!page.alive()) return;
    page.main.replaceChildren();
    document.title = `Edit ${existing.name} · Sluice`;
  }
  const name = field("wf-name", "Name", h("input", { id: "wf-name", type: "text", maxlength: 200, autocomplete: "off",
    value: existing ? existing.name : "" }), "Or give name in the definition, as a file for sluice workflow create does.");
  const description = field("wf-description", "Description (optional)", h("textarea", { id: "wf-description", rows: 2,
    value: existing && existing.description ? existing.description : "" }));
  const textarea = h("textarea", { id: "wf-definition", class: "mono", rows: 16, spellcheck: "false", value: startText, autocapitalize: "off" });
  const code = codeEditor(textarea);
  const definition = field("wf-definition", "Definition (JSON or YAML)", textarea,
    "steps (a chain) or tasks (a DAG), and optionally input_schema and timeout_seconds, as JSON or YAML (as sluice workflow create -f reads it). Checked as you type; a problem’s line and column are highlighted.",
    code.element);
  const formError = h("div", { class: "form-error", role: "alert", hidden: true, tabindex: -1, id: "editor-error" });
  const submit = existing
    ? h("button", { type: "submit", class: "primary", id: "save-workflow" }, `Store as version ${existing.version + 1}`)
    : h("button", { type: "submit", class: "primary", id: "create-workflow" }, "Create workflow");
  const cancel = existing ? h("a", { href: `/ui/workflows/${encodeURIComponent(existing.workflow_id)}` }, "Cancel") : null;
  const form = h("form", { class: "editor", novalidate: true, "aria-label": existing ? "Edit workflow" : "New workflow" },
    name.wrapper, description.wrapper, definition.wrapper, formError, h("div", { class: "form-actions" }, submit, cancel));

  const previewStatus = h("p", { class: "muted", id: "preview-status" }, "The graph appears here once the definition is valid.");
  const previewBody = h("div", {});
  const preview = h("div", { id: "preview", role: "status" }, previewStatus, previewBody);
  const palette = h("div", { class: "palette" }, h("p", { class: "muted" }, "Loading step types…"));
  page.main.append(
    h("div", { class: "page-head" }, existing
      ? h("div", {}, h("h1", {}, `Edit ${existing.name}`),
          h("p", { class: "meta" }, h("code", {}, existing.workflow_id), h("span", {}, `editing version ${existing.version}; executions already started keep theirs`)))
      : h("h1", {}, "New workflow")),
    h("div", { class: "two-columns wide-left" },
      h("section", { class: "card" }, form),
      h("section", { class: "card", "aria-labelledby": "step-types-heading" },
        h("h2", { id: "step-types-heading" }, "Step types"),
        h("p", { class: "muted small" }, "Add appends a step to a chain’s steps."), palette)),
    h("section", { class: "card", "aria-labelledby": "preview-heading" }, h("h2", { id: "preview-heading" }, "Preview"), preview));

  // Step types: what each takes and gives; "Add" appends it to the chain.
  api.stepTypes().then((answer) => {
    if (!page.alive()) return;
    palette.replaceChildren(h("ul", { class: "step-types" }, answer.step_types.map((t) => {
      const add = h("button", { type: "button", class: "small-button", "aria-label": `Add ${t.type}` }, "Add");
      add.addEventListener("click", () => addStep(t));
      return h("li", {},
        h("div", {}, h("span", { class: `chip type-${typeColour(t.type)}` }, t.type), " ", add),
        h("div", { class: "small muted" }, `${t.input_type} → ${t.output_type}`, t.parameters_required ? " · needs parameters" : ""),
        h("div", { class: "small" }, t.summary));
    })));
  }, (error) => { if (page.alive()) palette.replaceChildren(h("p", { class: "muted" }, `Could not load the step types: ${error.message}`)); });

  const addStep = (t) => {
    const text = textarea.value;
    const parameters = t.parameters_required ? (t.parameters && t.parameters.type === "string" ? "" : {}) : undefined;
    let next = null;
    if (formatOf(text) === "json") {
      let def = {};
      try { def = text.trim() ? JSON.parse(text) : {}; } catch { def = null; }
      if (def && typeof def === "object" && !Array.isArray(def) && !def.tasks) {
        const step = { type: t.type };
        if (parameters !== undefined) step.input = parameters;
        def.steps = [...(Array.isArray(def.steps) ? def.steps : []), step];
        next = JSON.stringify(def, null, 2);
      }
    } else {
      next = appendYAMLStep(text, [`type: ${t.type}`, ...(parameters !== undefined ? [`input: ${JSON.stringify(parameters)}`] : [])]);
    }
    if (next === null) {
      setErrors(definition, ["Add appends to a chain’s steps (a JSON object that parses, or a YAML steps: list); for a DAG, add the task to tasks by hand."]);
      return;
    }
    textarea.value = next;
    textarea.dispatchEvent(new Event("input"));
  };

  /**
   * The document to send: the text with the Name and Description fields put in (unless empty, or
   * given by the document itself); `live` puts a placeholder name in while the field is empty,
   * so the graph can be previewed before the workflow has a name. `{source, splice, format, text,
   * keys, own: Set of the fields put in, problems: [{where, message}]}`.
   */
  const compose = (live) => {
    const text = textarea.value;
    const format = formatOf(text);
    const keys = topLevelKeys(text, format);
    const problems = [];
    const members = [];
    const own = new Set();
    const nameValue = name.control.value;
    if (nameValue.trim()) {
      if (keys.has("name")) problems.push({ where: "name", message: "The definition gives a name too: empty this field to use that one, or take name out of the definition." });
      else { members.push(["name", nameValue]); own.add("name"); }
    } else if (!keys.has("name")) {
      if (live) members.push(["name", "untitled"]);
      else problems.push({ where: "name", message: "required: give the workflow a name (here, or as name in the definition)" });
    }
    if ([...nameValue].length > 200) problems.push({ where: "name", message: `expected at most 200 characters, found ${[...nameValue].length}` });
    if (description.control.value.trim()) {
      if (keys.has("description")) problems.push({ where: "description", message: "The definition gives a description too: empty this field to use that one, or take description out of the definition." });
      else { members.push(["description", description.control.value]); own.add("description"); }
    }
    if (!text.trim()) problems.push({ where: "definition", message: "empty: write steps (a chain) or tasks (a DAG), as JSON or YAML" });
    const splice = withMembers(text, members, format) || { text, at: 0, inserted: "", keys: [] };
    return { source: new Source(splice.text, format), splice, format, text, keys, own, problems };
  };

  let lastGraph = null;
  let graphView = null;

  /** Shows problems by field: the server's (with positions) and the editor's own. The Name
   *  field's are left alone unless `touchName` or there are some (a live check must not clear
   *  the "required" that Create showed while the field is still empty). Returns their number. */
  const showProblems = (issues, composed, { touchName }) => {
    const by = { name: [], description: [], definition: [] };
    const ranges = [];
    const broken = new Set();
    for (const p of composed.problems) by[p.where].push(p.message);
    for (const issue of issues) {
      const path = issue.path || "";
      const syntax = issue.code === "invalid_json" || issue.code === "invalid_yaml";
      let where = fieldForPath(path);
      let range = null;
      if (typeof issue.line === "number" && typeof issue.column === "number") {
        const at = positionInOriginal(composed.splice, issue.line, issue.column);
        if (at.added) where = at.added;
        else if (!(where !== "definition" && composed.own.has(where))) {
          where = "definition";
          range = tokenRange(composed.text, at.offset, { single: syntax });
        }
      }
      const message = syntax ? syntaxMessage(issue.message) : issue.message;
      if (where !== "definition") { by[where].push(message); continue; }
      const task = taskOfPath(path, composed.text, composed.format, lastGraph);
      if (task) broken.add(task);
      const label = path ? `${path}${task && !path.endsWith("]") && /^(steps|tasks)\[\d+\]\./.test(path) ? ` (${task})` : ""}: ${message}` : message;
      if (range) {
        ranges.push(range);
        const { line, column } = positionAt(composed.text, range.start);
        const jump = h("button", { type: "button", class: "link-button position", "data-line": line, "data-column": column,
          title: "Select it in the definition" }, `line ${line}, column ${column}`);
        jump.addEventListener("click", () => code.select(range));
        by.definition.push(h("span", {}, jump, `: ${label}`));
      } else {
        by.definition.push(label);
      }
    }
    if (touchName || by.name.length) setErrors(name, by.name);
    setErrors(description, by.description);
    setErrors(definition, by.definition);
    code.mark(ranges);
    markBroken(broken);
    return by.name.length + by.description.length + by.definition.length;
  };

  const markBroken = (ids) => {
    if (!graphView) return;
    for (const node of graphView.element.querySelectorAll("g.node")) {
      const bad = ids.has(node.dataset.task);
      node.classList.toggle("broken", bad);
      if (bad) node.setAttribute("data-problem", "true"); else node.removeAttribute("data-problem");
    }
  };

  const drawPreview = (answer) => {
    lastGraph = answer.graph;
    graphView = drawGraph(answer.graph, { vertical: isNarrow() });
    previewStatus.textContent = "Valid.";
    previewStatus.className = "muted";
    previewBody.replaceChildren(graphView.element, typeLegend(answer.graph.tasks),
      h("h3", {}, "Input schema"), jsonBlock(answer.input_schema));
  };

  const showInvalid = (count) => {
    previewStatus.className = "preview-invalid";
    previewStatus.textContent = lastGraph
      ? `Not valid: ${count} problem${count === 1 ? "" : "s"} (shown by the definition). Below is the last valid version; marked tasks are the ones with a problem.`
      : `Not valid yet: ${count} problem${count === 1 ? "" : "s"} (shown by the definition).`;
  };

  // Live check: validate while typing (with a placeholder name while the field is empty).
  let checkNumber = 0;
  let nameErrorsAreLive = false;
  const check = debounce(async () => {
    const mine = ++checkNumber;
    const composed = compose(true);
    const touchName = nameErrorsAreLive || Boolean(name.control.value.trim()) || composed.problems.some((p) => p.where === "name");
    const show = (issues) => {
      const count = showProblems(issues, composed, { touchName });
      if (touchName) nameErrorsAreLive = true;
      return count;
    };
    if (composed.problems.some((p) => p.where === "definition")) { showInvalid(show([])); return; }
    try {
      const answer = await api.validateWorkflow(composed.source);
      if (!page.alive() || mine !== checkNumber) return;
      drawPreview(answer);
      show([]);
    } catch (error) {
      if (!page.alive() || mine !== checkNumber) return;
      if (error instanceof APIError && error.status === 400) {
        showInvalid(show(error.errors));
      } else {
        previewStatus.className = "muted";
        previewStatus.textContent = `Could not check the definition: ${error.message}`;
      }
    }
  }, 400);
  textarea.addEventListener("input", check);
  name.control.addEventListener("input", check);
  description.control.addEventListener("input", check);
  check();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
    const composed = compose(false);
    nameErrorsAreLive = false;
    if (composed.problems.length) {
      showProblems([], composed, { touchName: true });
      form.querySelector("[aria-invalid=true]").focus();
      return;
    }
    submit.disabled = true;
    try {
      if (existing) {
        const stored = await api.updateWorkflow(existing.workflow_id, composed.source, existing.version);
        announce(`Version ${stored.version} stored`);
        navigate(`/ui/workflows/${encodeURIComponent(existing.workflow_id)}`);
      } else {
        const created = await api.createWorkflow(composed.source);
        announce(`Workflow ${created.workflow_id} created`);
        navigate(`/ui/workflows/${encodeURIComponent(created.workflow_id)}`);
      }
    } catch (error) {
      if (error instanceof APIError && error.status === 412) {
        formError.hidden = false;
        formError.replaceChildren(`Nothing was stored: another version of this workflow was stored after version ${existing.version}, which this edit started from. `,
          h("a", { href: `/ui/workflows/${encodeURIComponent(existing.workflow_id)}` }, "See the latest version"),
          " and edit that one (copy your definition first).");
        formError.focus();
      } else if (error instanceof APIError && error.errors.length) {
        showProblems(error.errors, composed, { touchName: true });
        const first = form.querySelector("[aria-invalid=true]");
        if (first) first.focus();
      } else {
        formError.hidden = false;
        formError.textContent = error.message;
      }
    } finally {
      submit.disabled = false;
    }
  });
}
