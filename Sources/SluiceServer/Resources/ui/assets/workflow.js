// /ui/workflows/{id}: a workflow's graph, its effective input schema, a form generated from it to
// start an execution, its schedules, and its executions (status filter, paging; page 1 refreshed
// every 3 s).

import { h, time, duration, jsonBlock, badge } from "./dom.js";
import { api, rememberWorkflow, may, namespaceOf } from "./api.js";
import { drawGraph, typeLegend } from "./graph.js";
import { inputForm } from "./schema-form.js";
import { liveDuration } from "./clock.js";
import { schedulesCard } from "./schedules.js";
import { navigate, announce, loadOrNotFound, loading, errorState, isNarrow, cardTable, labelled } from "./shell.js";

const EXECUTION_STATUSES = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];

export async function workflowPage(page, workflowID) {
  document.title = `${workflowID} · Sluice`;
  page.main.append(loading("Loading the workflow…"));
  const workflow = await loadOrNotFound(page, () => api.getWorkflow(workflowID), "Workflow", workflowID,
    h("span", {}, "Check the id, or pick one from ", h("a", { href: "/ui" }, "the list"), "."));
  if (!workflow || !page.alive()) return;
  document.title = `${workflow.name} · Sluice`;
  rememberWorkflow(workflow);

  const form = inputForm(workflow.input_schema, {
    onSubmit: async (input) => {
      const started = await api.execute(workflow.workflow_id, { input });
      announce(`Execution ${started.execution_id} started`);
      navigate(`/ui/executions/${encodeURIComponent(started.execution_id)}`);
    },
  });
  const definition = workflow.steps ? { steps: workflow.steps } : { tasks: workflow.tasks };
  if (workflow.timeout_seconds !== undefined) definition.timeout_seconds = workflow.timeout_seconds;
  const graph = drawGraph(workflow.graph, { vertical: isNarrow() });

  const executions = h("section", { class: "card", "aria-labelledby": "executions-heading" });
  page.main.replaceChildren(
    h("div", { class: "page-head" },
      h("div", {},
        h("h1", {}, workflow.name),
        h("p", { class: "meta" },
          h("code", {}, workflow.workflow_id), h("span", { class: "pill" }, `v${workflow.version}`),
          h("span", {}, "created ", time(workflow.created_at)), h("span", {}, "updated ", time(workflow.updated_at)),
          workflow.timeout_seconds !== undefined ? h("span", {}, "executions time out after ", duration(workflow.timeout_seconds * 1000)) : null),
        workflow.description ? h("p", { class: "description" }, workflow.description) : null),
      // Only what the signed-in account's roles allow here (the server checks anyway).
      may("edit", namespaceOf(workflow)) ? h("a", { class: "button", id: "edit-workflow", href: `/ui/workflows/${encodeURIComponent(workflow.workflow_id)}/edit` }, "Edit") : null),
    h("section", { class: "card", "aria-labelledby": "graph-heading" },
      h("h2", { id: "graph-heading" }, workflow.steps ? "Steps" : "Tasks",
        h("span", { class: "muted small" }, ` ${workflow.graph.tasks.length} ${workflow.steps ? "in a chain" : "in a DAG"}; edges show the type that flows along them`)),
      graph.element, typeLegend(workflow.graph.tasks)),
    h("div", { class: "two-columns" },
      h("section", { class: "card", "aria-labelledby": "start-heading" }, h("h2", { id: "start-heading" }, "Start an execution"),
        may("run", namespaceOf(workflow)) ? form : h("p", { class: "muted", id: "run-not-allowed" }, `Your roles in namespace ${namespaceOf(workflow)} do not include starting executions (runner, editor or admin do).`)),
      h("section", { class: "card", "aria-labelledby": "schema-heading" },
        h("h2", { id: "schema-heading" }, "Input schema"),
        h("p", { class: "muted small" }, "Derived from the entry steps, merged with the definition’s input_schema."),
        jsonBlock(workflow.input_schema, { id: "input-schema" }),
        h("details", {}, h("summary", {}, "Definition as stored"), jsonBlock(definition)))),
    schedulesCard(page, workflow, namespaceOf(workflow)),
    executions);
  await executionList(page, executions, workflow.workflow_id);
}

/** The workflow's executions: status filter, paging by cursor, refreshed every 3 s on page 1. */
async function executionList(page, section, workflowID) {
  const params = new URLSearchParams(location.search);
  let status = EXECUTION_STATUSES.includes(params.get("status")) ? params.get("status") : "";
  let cursors = [null]; // cursors[i] fetches page i
  let index = 0;
  const body = h("div", {}, loading("Loading executions…"));
  const filter = h("div", { class: "filters", role: "group", "aria-label": "Filter by status" });
  const pager = h("div", { class: "pager" });
  const filterButtons = ["", ...EXECUTION_STATUSES].map((value) => {
    const button = h("button", { type: "button", class: "filter", "data-status-filter": value || "ALL", "aria-pressed": String(value === status) },
      value ? value.charAt(0) + value.slice(1).toLowerCase() : "All");
    button.addEventListener("click", () => {
      status = value; cursors = [null]; index = 0;
      filterButtons.forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      const url = new URL(location.href);
      if (status) url.searchParams.set("status", status); else url.searchParams.delete("status");
      history.replaceState({}, "", url.pathname + url.search);
      load(true);
    });
    return button;
  });
  filter.append(...filterButtons);
  section.append(h("h2", { id: "executions-heading" }, "Executions"), filter, body, pager);

  let inFlight = false;
  const load = async (visible) => {
    if (inFlight && !visible) return;
    inFlight = true;
    if (visible) body.replaceChildren(loading("Loading executions…"));
    try {
      const answer = await api.listExecutions(workflowID, { status, cursor: cursors[index] });
      if (!page.alive()) return;
      cursors[index + 1] = answer.next_cursor;
      drawList(answer.executions, answer.next_cursor);
    } catch (error) {
      if (page.alive() && visible) body.replaceChildren(errorState(error, () => load(true)));
    } finally {
      inFlight = false;
    }
  };
  const drawList = (executions, next) => {
    if (!executions.length) {
      body.replaceChildren(h("p", { class: "state empty" }, index > 0 ? "No more executions."
        : status ? `No ${status} executions. Pick another status above.` : "No executions yet. Start one with the form above, or with `sluice run`."));
    } else {
      body.replaceChildren(cardTable({
        caption: "Executions, newest first", columns: ["Execution", "Status", "Version", "Created", "Duration"], attrs: { id: "executions" },
        rows: executions.map((e) => h("tr", { "data-execution": e.execution_id },
          h("td", { class: "card-title" }, h("a", { class: "mono", href: `/ui/executions/${encodeURIComponent(e.execution_id)}` }, e.execution_id)),
          labelled("Status", {}, badge(e.status)),
          labelled("Version", { class: "num" }, `v${e.workflow_version}`),
          labelled("Created", {}, time(e.created_at)),
          labelled("Duration", { class: "num" }, liveDuration(e.started_at, e.completed_at)))),
      }));
    }
    pager.replaceChildren(
      h("button", { type: "button", disabled: index === 0, onclick: () => { index--; load(true); } }, "← Newer"),
      h("span", { class: "muted small" }, `Page ${index + 1}`),
      h("button", { type: "button", disabled: !next, onclick: () => { index++; load(true); } }, "Older →"));
  };
  const timer = setInterval(() => { if (index === 0 && !document.hidden) load(false); }, 3000);
  page.onLeave(() => clearInterval(timer));
  await load(true);
}
