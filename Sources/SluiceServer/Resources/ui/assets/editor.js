// /ui/new and /ui/workflows/{id}/edit: write a workflow and create it, or store a new version of
// one. The definition (everything but the name and the description: `steps` or `tasks`,
// `input_schema`, `timeout_seconds`) is JSON; it is checked by `POST /workflows/validate` as you
// type (graph and input schema previewed), and the server's problems are shown next to the field
// their path names (`name`, `description`, the rest under the definition with their paths,
// `steps[1].type: …`). An edit is stored with `If-Match` naming the version it started from.

import { h, jsonBlock, typeColour, debounce } from "./dom.js";
import { api, APIError } from "./api.js";
import { drawGraph, typeLegend } from "./graph.js";
import { navigate, announce, loadOrNotFound, loading, isNarrow } from "./app.js";

const EXAMPLE = `{
  "steps": [
    {"type": "TextOperation.Uppercase"},
    {"type": "Echo"}
  ]
}`;

function field(id, label, control, hint) {
  const error = h("div", { class: "field-error", id: `${id}-error`, role: "alert", hidden: true });
  control.setAttribute("aria-describedby", `${id}-error${hint ? ` ${id}-hint` : ""}`);
  const wrapper = h("div", { class: "field", "data-field-wrapper": id },
    h("label", { for: id }, h("span", { class: "field-name" }, label)), control,
    hint ? h("div", { class: "hint", id: `${id}-hint` }, hint) : null, error);
  return { wrapper, control, error };
}

function setErrors(f, messages) {
  f.error.replaceChildren(...messages.map((m) => h("div", {}, m)));
  f.error.hidden = messages.length === 0;
  if (messages.length) f.control.setAttribute("aria-invalid", "true"); else f.control.removeAttribute("aria-invalid");
}

/** Where a server problem belongs: `name`, `description` or (everything else) `definition`. */
export function fieldForPath(path) {
  if (path === "name" || path.startsWith("name.")) return "name";
  if (path === "description" || path.startsWith("description.")) return "description";
  return "definition";
}

/** The JSON text parsed, or a message saying where it breaks. */
function parseDefinition(text) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { error: `not valid JSON: ${error.message}` };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { error: "expected a JSON object with steps (a chain) or tasks (a DAG)" };
  }
  for (const key of ["name", "description"]) {
    if (key in value) return { error: `put the ${key} in the ${key === "name" ? "Name" : "Description"} field above, not in the definition` };
  }
  return { value };
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
  const name = field("wf-name", "Name", h("input", { id: "wf-name", type: "text", maxlength: 200, autocomplete: "off", "aria-required": "true",
    value: existing ? existing.name : "" }));
  const description = field("wf-description", "Description (optional)", h("textarea", { id: "wf-description", rows: 2,
    value: existing && existing.description ? existing.description : "" }));
  const definition = field("wf-definition", "Definition (JSON)",
    h("textarea", { id: "wf-definition", class: "mono", rows: 14, spellcheck: "false", value: startText }),
    "steps (a chain) or tasks (a DAG), and optionally input_schema and timeout_seconds. Checked as you type.");
  const formError = h("div", { class: "form-error", role: "alert", hidden: true, tabindex: -1, id: "editor-error" });
  const submit = existing
    ? h("button", { type: "submit", class: "primary", id: "save-workflow" }, `Store as version ${existing.version + 1}`)
    : h("button", { type: "submit", class: "primary", id: "create-workflow" }, "Create workflow");
  const cancel = existing ? h("a", { href: `/ui/workflows/${encodeURIComponent(existing.workflow_id)}` }, "Cancel") : null;
  const form = h("form", { class: "editor", novalidate: true, "aria-label": "New workflow" },
    name.wrapper, description.wrapper, definition.wrapper, formError, h("div", { class: "form-actions" }, submit, cancel));

  const preview = h("div", { id: "preview", role: "status" }, h("p", { class: "muted" }, "The graph appears here once the definition is valid."));
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
      add.addEventListener("click", () => {
        const parsed = parseDefinition(definition.control.value);
        const def = parsed.value || {};
        if (def.tasks) { setErrors(definition, ["Add works on chains (steps); for a DAG, add the task to tasks by hand."]); return; }
        const step = { type: t.type };
        if (t.parameters_required) step.input = t.parameters && t.parameters.type === "string" ? "" : {};
        def.steps = [...(Array.isArray(def.steps) ? def.steps : []), step];
        definition.control.value = JSON.stringify(def, null, 2);
        check();
      });
      return h("li", {},
        h("div", {}, h("span", { class: `chip type-${typeColour(t.type)}` }, t.type), " ", add),
        h("div", { class: "small muted" }, `${t.input_type} → ${t.output_type}`, t.parameters_required ? " · needs parameters" : ""),
        h("div", { class: "small" }, t.summary));
    })));
  }, (error) => { if (page.alive()) palette.replaceChildren(h("p", { class: "muted" }, `Could not load the step types: ${error.message}`)); });

  const body = () => {
    const parsed = parseDefinition(definition.control.value);
    if (parsed.error) return { error: parsed.error };
    const result = { name: name.control.value, ...parsed.value };
    if (description.control.value.trim()) result.description = description.control.value;
    return { body: result };
  };

  const showProblems = (errors, { includeName }) => {
    const by = { name: [], description: [], definition: [] };
    for (const e of errors) {
      const where = fieldForPath(e.path || "");
      if (where === "name" && !includeName) continue;
      by[where].push(where === "definition" && e.path ? `${e.path}: ${e.message}` : e.message);
    }
    // The live check leaves the name's errors (shown on submit) alone.
    if (includeName) setErrors(name, by.name);
    setErrors(description, by.description);
    setErrors(definition, by.definition);
  };

  // Live check: validate while typing (the name may still be empty then; its problems wait for submit).
  let checkNumber = 0;
  const check = debounce(async () => {
    const mine = ++checkNumber;
    const built = body();
    if (built.error) { setErrors(definition, [built.error]); return; }
    const candidate = { ...built.body, name: built.body.name.trim() ? built.body.name : "untitled" };
    try {
      const answer = await api.validateWorkflow(candidate);
      if (!page.alive() || mine !== checkNumber) return;
      showProblems([], { includeName: false });
      preview.replaceChildren(
        drawGraph(answer.graph, { vertical: isNarrow() }).element,
        typeLegend(answer.graph.tasks),
        h("h3", {}, "Input schema"), jsonBlock(answer.input_schema));
    } catch (error) {
      if (!page.alive() || mine !== checkNumber) return;
      if (error instanceof APIError && error.status === 400) {
        showProblems(error.errors, { includeName: false });
        preview.replaceChildren(h("p", { class: "muted" }, `Not valid yet: ${error.errors.length} problem${error.errors.length === 1 ? "" : "s"} (shown by the definition).`));
      } else {
        preview.replaceChildren(h("p", { class: "muted" }, `Could not check the definition: ${error.message}`));
      }
    }
  }, 400);
  definition.control.addEventListener("input", check);
  check();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    formError.hidden = true;
    const built = body();
    const nameProblems = [];
    const nameValue = name.control.value;
    if (!nameValue.trim()) nameProblems.push("required: give the workflow a name");
    else if ([...nameValue].length > 200) nameProblems.push(`expected at most 200 characters, found ${[...nameValue].length}`);
    setErrors(name, nameProblems);
    setErrors(definition, built.error ? [built.error] : []);
    if (nameProblems.length || built.error) {
      form.querySelector("[aria-invalid=true]").focus();
      return;
    }
    submit.disabled = true;
    try {
      if (existing) {
        const stored = await api.updateWorkflow(existing.workflow_id, built.body, existing.version);
        announce(`Version ${stored.version} stored`);
        navigate(`/ui/workflows/${encodeURIComponent(existing.workflow_id)}`);
      } else {
        const created = await api.createWorkflow(built.body);
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
        showProblems(error.errors, { includeName: true });
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
