// /ui/annotation/projects/{id}: one annotation project — its label config and its workflows,
// each drawn as its row of pools (stages) linking to the workflow's page — and "New workflow",
// which opens the pipeline editor.

import { h, fill, time, jsonBlock } from "./dom.js";
import { may } from "./api.js";
import { annotation, labelConfigText, isoOf } from "./annotation-api.js";
import { poolChips } from "./pool-chips.js";
import { loading, loadOrNotFound, cardTable, labelled } from "./shell.js";

export async function annotationProjectPage(page, id) {
  document.title = `Project ${id} · Sluice`;
  page.main.append(loading("Loading the project…"));
  const project = await loadOrNotFound(page, () => annotation.getProject(id), "Project", id,
    h("span", {}, "The ", h("a", { href: "/ui/annotation" }, "annotation page"), " lists the projects you may see."));
  if (!project || !page.alive()) return;
  document.title = `${project.name} · Sluice`;
  const list = h("div", { id: "workflow-list" }, loading("Loading the workflows…"));
  const config = project.labelConfig || {};
  fill(page.main,
    h("div", { class: "page-head" },
      h("div", {},
        h("p", { class: "small" }, h("a", { href: "/ui/annotation" }, "← Annotation projects")),
        h("h1", { id: "project-title" }, project.name),
        h("p", { class: "meta" }, h("span", { class: "mono" }, `project ${project.projectId}`), h("span", {}, `namespace ${project.namespace}`),
          h("span", {}, "created ", time(isoOf(project.createdAt)))),
        project.description ? h("p", { class: "description" }, project.description) : null),
      may("edit", project.namespace)
        ? h("a", { class: "button primary", id: "new-pipeline", href: `/ui/annotation/projects/${project.projectId}/new` }, "New workflow")
        : null),
    h("section", { class: "card", "aria-labelledby": "labels-heading" },
      h("h2", { id: "labels-heading" }, "Labels"),
      h("p", { id: "project-label-config" }, labelConfigText(config)),
      config.kind === "json" && config.schema ? jsonBlock(config.schema) : null),
    h("section", { class: "card", "aria-labelledby": "workflows-heading" },
      h("h2", { id: "workflows-heading" }, "Workflows"), list));

  const answer = await annotation.listWorkflows(project.projectId);
  if (!page.alive()) return;
  if (!answer.list.length) {
    list.replaceChildren(h("p", { class: "state empty", "data-empty": "workflows" },
      "No workflow yet. ", may("edit", project.namespace) ? h("a", { href: `/ui/annotation/projects/${project.projectId}/new` }, "Make its pipeline") : "An editor makes its pipeline.", "."));
    return;
  }
  const rows = answer.list.map((w) => {
    const href = `/ui/annotation/workflows/${w.workflowId}`;
    return h("tr", { "data-workflow": w.workflowId },
      h("td", { class: "card-title" }, h("a", { class: "strong", href }, `Workflow ${w.workflowId}`)),
      labelled("Pools", {}, poolChips(w.workflow.pools, href)),
      labelled("Created", {}, time(isoOf(w.createdAt))));
  });
  list.replaceChildren(cardTable({ caption: "The project's workflows", columns: ["Workflow", "Pools", "Created"], rows, attrs: { id: "annotation-workflows" } }));
}
