// /ui/annotation: the annotation projects (in the order they were made, 100 at a time) and the
// form that creates one (open at once while there is none): a name, a description, and the
// label config — its kind, its labels (one per line) for the kinds that have them, or a JSON
// Schema for `json`. The server's problems (`labelConfig.labels[2]`) are shown under the field
// they name.

import { h, time } from "./dom.js";
import { may, mayAnywhere } from "./api.js";
import { annotation, labelConfigText, isoOf } from "./annotation-api.js";
import { fieldError, ProblemBoard } from "./problems.js";
import { announce, navigate, loading, errorState, cardTable, labelled } from "./shell.js";

const KINDS = [
  ["choice", "single choice: one of the labels"],
  ["choices", "multiple choices: some of the labels"],
  ["text", "text: a transcription or a free answer"],
  ["boxes", "boxes on an image, each with a label"],
  ["spans", "spans of a text, each with a label"],
  ["json", "JSON: any object, or one matching a schema"],
];
const WITH_LABELS = new Set(["choice", "choices", "boxes", "spans"]);

export async function annotationProjectsPage(page) {
  document.title = "Annotation · Sluice";
  const list = h("div", { id: "project-list" }, loading("Loading the projects…"));
  const create = mayAnywhere("edit") ? createForm() : null;
  page.main.append(
    h("div", { class: "page-head" },
      h("div", {}, h("h1", {}, "Annotation projects"),
        h("p", { class: "description muted" }, "A project says what its items are labeled with; each of its workflows is a pipeline of pools the items go through."))),
    create,
    h("section", { class: "card", "aria-labelledby": "projects-heading" }, h("h2", { id: "projects-heading" }, "Projects"), list));

  const rows = [];
  let cursor = null;
  const more = h("button", { type: "button", class: "more", id: "projects-more", hidden: true }, "Show more");
  const load = async () => {
    more.disabled = true;
    try {
      const answer = await annotation.listProjects(cursor);
      if (!page.alive()) return;
      cursor = answer.nextCursor;
      rows.push(...answer.list.map(row));
      more.hidden = !cursor;
      if (create && !rows.length) create.open = true;
      more.disabled = false;
      list.replaceChildren(rows.length
        ? cardTable({ caption: "Annotation projects", columns: ["Project", "Labels", "Namespace", "Created"], rows, attrs: { id: "projects" } })
        : h("p", { class: "state empty", "data-empty": "projects" }, "No project yet: create one above, or with POST /annotation/project/create."), more);
    } catch (error) {
      if (page.alive()) list.replaceChildren(errorState(error, load));
    }
  };
  more.addEventListener("click", load);
  await load();
}

function row(p) {
  return h("tr", { "data-project": p.projectId },
    h("td", { class: "card-title" },
      h("a", { class: "strong", href: `/ui/annotation/projects/${p.projectId}` }, p.name),
      h("div", { class: "mono muted small" }, `project ${p.projectId}`),
      p.description ? h("div", { class: "muted small clamp" }, p.description) : null),
    labelled("Labels", {}, labelConfigText(p.labelConfig)),
    labelled("Namespace", {}, p.namespace),
    labelled("Created", {}, time(isoOf(p.createdAt))));
}

function createForm() {
  const field = (id, label, control, hint) => {
    const error = fieldError(`${id}-error`, control);
    const wrapper = h("div", { class: "field" }, h("label", { for: id }, h("span", { class: "field-name" }, label)), control,
      hint ? h("div", { class: "hint" }, hint) : null, error.el);
    return { wrapper, error };
  };
  const name = h("input", { id: "project-name", type: "text", autocomplete: "off", required: true });
  const description = h("textarea", { id: "project-description", rows: 2 });
  const namespace = h("input", { id: "project-namespace", type: "text", autocomplete: "off", value: "default", spellcheck: "false" });
  const kind = h("select", { id: "project-kind" }, KINDS.map(([k, text]) => h("option", { value: k }, text)));
  const labels = h("textarea", { id: "project-labels", rows: 3, spellcheck: "false", placeholder: "cat\ndog" });
  const schema = h("textarea", { id: "project-schema", class: "mono", rows: 5, spellcheck: "false", placeholder: '{"type": "object", "properties": {…}}' });
  const formError = fieldError("project-form-error");
  formError.el.className = "form-error";
  const board = new ProblemBoard(formError);
  const f = {
    name: field("project-name", "Name", name),
    description: field("project-description", "Description", description),
    namespace: field("project-namespace", "Namespace", namespace, "Who may see and work on it follows the roles in this namespace."),
    kind: field("project-kind", "Label kind", kind),
    labels: field("project-labels", "Labels", labels, "One per line."),
    schema: field("project-schema", "Schema", schema, "A JSON Schema of an object (optional: without one, any object)."),
  };
  board.add("name", f.name.error);
  board.add("description", f.description.error);
  board.add("namespace", f.namespace.error);
  board.add("labelConfig.kind", f.kind.error);
  board.add("labelConfig.labels", f.labels.error, "label");
  board.add("labelConfig.schema", f.schema.error);
  board.add("labelConfig", formError);
  const showKind = () => {
    f.labels.wrapper.hidden = !WITH_LABELS.has(kind.value);
    f.schema.wrapper.hidden = kind.value !== "json";
  };
  kind.addEventListener("change", showKind);
  showKind();
  const submit = h("button", { type: "submit", class: "primary", id: "project-create" }, "Create project");
  const form = h("form", { id: "project-form", novalidate: true, "aria-labelledby": "project-form-heading" },
    h("div", { class: "two-columns" },
      h("div", {}, f.name.wrapper, f.description.wrapper, f.namespace.wrapper),
      h("div", {}, f.kind.wrapper, f.labels.wrapper, f.schema.wrapper)),
    formError.el, h("div", { class: "form-actions" }, submit));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    board.clear();
    const config = { kind: kind.value };
    if (WITH_LABELS.has(kind.value)) config.labels = labels.value.split("\n").map((l) => l.trim()).filter(Boolean);
    if (kind.value === "json" && schema.value.trim()) {
      try { config.schema = JSON.parse(schema.value); } catch (error) {
        board.show([{ path: "labelConfig.schema", message: `not valid JSON: ${error.message}` }]);
        return;
      }
    }
    const body = { name: name.value.trim(), description: description.value.trim(), namespace: namespace.value.trim() || "default", labelConfig: config };
    if (!may("edit", body.namespace)) {
      board.show([{ path: "namespace", message: `creating a project in “${body.namespace}” needs the editor or admin role there` }]);
      return;
    }
    submit.disabled = true;
    try {
      const created = await annotation.createProject(body);
      announce(`Project “${body.name}” created`);
      navigate(`/ui/annotation/projects/${created.projectId}`);
    } catch (error) {
      board.show(error.errors && error.errors.length ? error.errors : [{ path: "", message: error.message }]);
    } finally {
      submit.disabled = false;
    }
  });
  return h("details", { class: "card create-card", id: "project-create-card" },
    h("summary", { id: "project-form-heading" }, "New project"), form);
}
