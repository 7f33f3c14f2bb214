// /ui/annotation/workflows/{id}: a manager's view of one annotation workflow. Its pools as a row
// of stages, each with its items waiting and held, the answers done and the rejections there
// (and, for people's pools, a link to the pool's queue); the items by state; every worker's
// answers, rejections, rejection rate and median time; the first 100 items; a JSON Lines export
// of the completed ones; the upload form (item-upload.js); and, for editors, "Edit pools" (the
// pipeline editor on /ui/annotation/workflows/{id}/edit). Progress and items are re-read
// every 5 s (`GET /annotation/workflow/progress`, the item list), redrawn only when they changed.

import { h, fill, duration } from "./dom.js";
import { may } from "./api.js";
import { annotation, POOL_TYPES, RUN_MODES, isHumanPool, queuePath, isoOf } from "./annotation-api.js";
import { uploadForm } from "./item-upload.js";
import { loading, loadOrNotFound, cardTable, labelled, errorState } from "./shell.js";

const POLL_MS = 5000;
const STATES = [["total", "items"], ["pending", "pending"], ["inPool", "in a pool"], ["completed", "completed"],
  ["discarded", "discarded"], ["failed", "failed"], ["cancelled", "cancelled"]];

export async function annotationWorkflowPage(page, id) {
  document.title = `Workflow ${id} · Sluice`;
  page.main.append(loading("Loading the workflow…"));
  const workflow = await loadOrNotFound(page, () => annotation.getWorkflow(id), "Workflow", id,
    h("span", {}, "The ", h("a", { href: "/ui/annotation" }, "annotation page"), " lists the projects and their workflows."));
  if (!workflow || !page.alive()) return;
  let project = null;
  try { project = await annotation.getProject(workflow.projectId); } catch { /* named by its id then */ }
  if (!page.alive()) return;
  new WorkflowView(page, workflow, project).start();
}

class WorkflowView {
  constructor(page, workflow, project) {
    this.page = page;
    this.workflow = workflow;
    this.pools = workflow.workflow.pools;
    this.project = project;
    this.drawn = {};
  }

  start() {
    const w = this.workflow;
    const projectName = this.project ? this.project.name : `project ${w.projectId}`;
    document.title = `Workflow ${w.workflowId} of ${projectName} · Sluice`;
    this.totals = h("dl", { class: "state-counts", id: "item-states" });
    this.stages = h("ol", { class: "stages", id: "workflow-stages", "aria-label": "Pools, in the order items go through them" });
    this.workers = h("div", { id: "worker-list" }, loading("Loading the workers…"));
    this.items = h("div", { id: "item-list" }, loading("Loading the items…"));
    this.error = h("div", { class: "form-error", id: "progress-error", role: "alert", hidden: true });
    fill(this.page.main,
      h("div", { class: "page-head" },
        h("div", {},
          h("p", { class: "small" }, h("a", { href: `/ui/annotation/projects/${w.projectId}` }, `← ${projectName}`)),
          h("h1", { id: "workflow-title" }, `Workflow ${w.workflowId}`),
          h("p", { class: "meta" }, h("span", {}, projectName), h("span", {}, `namespace ${w.namespace}`), h("span", {}, `version ${w.version}`))),
        h("div", { class: "form-actions" },
          may("edit", w.namespace) ? h("a", { class: "button", id: "edit-pools", href: `/ui/annotation/workflows/${w.workflowId}/edit` }, "Edit pools") : null,
          h("a", { class: "button", id: "export-link", href: annotation.exportURL(w.workflowId), download: `workflow-${w.workflowId}.jsonl`, "data-external": "true" },
          "Export completed (JSON Lines)"))),
      this.error,
      h("section", { class: "card", "aria-labelledby": "progress-heading" },
        h("h2", { id: "progress-heading" }, "Progress ", h("span", { class: "muted small" }, "(every 5 s)")),
        this.totals, this.stages),
      h("section", { class: "card", "aria-labelledby": "workers-heading" }, h("h2", { id: "workers-heading" }, "Workers"), this.workers),
      may("run", w.namespace) ? uploadForm(w.workflowId, () => this.load()) : null,
      h("section", { class: "card", "aria-labelledby": "items-heading" }, h("h2", { id: "items-heading" }, "Items ", this.itemCount = h("span", { class: "muted small", id: "item-count" }, "(the first 100)")), this.items));
    const timer = setInterval(() => { if (!document.hidden) this.load(); }, POLL_MS);
    this.page.onLeave(() => clearInterval(timer));
    return this.load();
  }

  async load() {
    if (this.busy) return;
    this.busy = true;
    try {
      const [progress, items] = await Promise.all([annotation.progress(this.workflow.workflowId), annotation.listItems(this.workflow.workflowId, 100)]);
      if (!this.page.alive()) return;
      this.error.hidden = true;
      this.redraw("totals", progress.items, () => this.drawTotals(progress.items));
      this.redraw("stages", progress.pools, () => this.drawStages(progress.pools));
      this.redraw("workers", progress.workers, () => this.drawWorkers(progress.workers));
      this.redraw("items", items.list, () => this.drawItems(items.list));
      this.itemCount.textContent = progress.items.total > items.list.length ? `(the first ${items.list.length} of ${progress.items.total})` : "";
    } catch (error) {
      if (!this.page.alive()) return;
      if (!this.drawn.totals) this.totals.replaceChildren(errorState(error, () => this.load()));
      else { this.error.hidden = false; this.error.textContent = error.message; }
    } finally {
      this.busy = false;
    }
  }

  redraw(part, value, draw) {
    const sig = JSON.stringify(value);
    if (this.drawn[part] === sig) return;
    this.drawn[part] = sig;
    draw();
  }

  drawTotals(counts) {
    this.totals.replaceChildren(...STATES.map(([key, label]) =>
      h("div", { class: "state-count", "data-state": key }, h("dt", {}, label), h("dd", { class: "num" }, String(counts[key] ?? 0)))));
  }

  drawStages(counted) {
    const byPool = new Map(counted.map((c) => [c.pool, c]));
    this.stages.replaceChildren(...this.pools.map((pool, i) => {
      const c = byPool.get(i) || { waiting: 0, held: 0, done: 0, rejected: 0 };
      const human = isHumanPool(pool.type);
      const facts = [["waiting", c.waiting], ["held", c.held], ["done", c.done]];
      if (pool.type === 2 || pool.type === 3) facts.push(["rejected", c.rejected]);
      return h("li", { class: `stage pool-type-${pool.type}`, "data-stage": i },
        h("h3", {}, pool.name),
        h("p", { class: "muted small" }, `${i} · ${POOL_TYPES[pool.type]}`, human || pool.type === 0 ? ` · ${RUN_MODES[pool.runMode] || "pull"}` : "",
          pool.type === 3 && pool.sampleRate !== undefined ? ` · ${Math.round(pool.sampleRate * 1000) / 10}% checked` : ""),
        human || pool.type === 4 ? h("dl", { class: "stage-counts" }, facts.map(([k, v]) =>
          h("div", { "data-count": k }, h("dt", {}, k), h("dd", { class: "num" }, String(v))))) : null,
        human ? h("p", { class: "small workers-line" }, pool.workers.length ? pool.workers.join(", ") : h("span", { class: "muted" }, "anyone")) : null,
        pool.type === 4 ? h("p", { class: "small" }, (pool.algorithmList || []).join(", ")) : null,
        human ? h("a", { class: "button small-button", href: queuePath(this.workflow.workflowId, i), "data-part": "queue" }, "Open queue") : null);
    }));
  }

  drawWorkers(workers) {
    if (!workers.length) { this.workers.replaceChildren(h("p", { class: "state empty", "data-empty": "workers" }, "Nobody has answered yet.")); return; }
    const rows = workers.map((w) => h("tr", { "data-worker": w.worker, "data-pool": w.pool },
      h("td", { class: "card-title strong" }, w.worker),
      labelled("Pool", {}, this.pools[w.pool] ? this.pools[w.pool].name : String(w.pool)),
      labelled("Done", { class: "num", "data-part": "done" }, String(w.done)),
      labelled("Rejected", { class: "num", "data-part": "rejected" }, String(w.rejected)),
      labelled("Rejection rate", { class: "num", "data-part": "rate" }, w.rejectionRate === null ? "—" : `${Math.round(w.rejectionRate * 1000) / 10}%`),
      labelled("Median time", { class: "num", "data-part": "median" }, w.medianSeconds === null ? "—" : duration(w.medianSeconds * 1000))));
    this.workers.replaceChildren(cardTable({ caption: "Each worker's answers, per pool", columns: ["Worker", "Pool", "Done", "Rejected", "Rejection rate", "Median time"], rows, attrs: { id: "workers" } }));
  }

  drawItems(items) {
    if (!items.length) { this.items.replaceChildren(h("p", { class: "state empty", "data-empty": "items" }, "No item yet: upload some above.")); return; }
    const rows = items.map((item) => h("tr", { "data-item": item.itemId, "data-state": item.state },
      h("td", { class: "card-title" }, h("a", { class: "strong", href: `/ui/annotation/items/${item.itemId}`, "data-part": "item-link" }, `#${item.itemId}`), item.externalId ? h("div", { class: "mono muted small" }, item.externalId) : null),
      labelled("Data", { class: "item-data-cell" }, h("span", { class: "clamp" }, typeof item.data === "string" ? item.data : JSON.stringify(item.data))),
      labelled("State", { "data-part": "state" }, item.state.replace("_", " ")),
      labelled("Where", {}, item.pool ? `${item.pool.name}${item.pool.holder ? `, held by ${item.pool.holder}` : ""}` : "—"),
      labelled("Uploaded", { class: "num" }, isoOf(item.createdAt) ? new Date(isoOf(item.createdAt)).toLocaleString() : "—")));
    this.items.replaceChildren(cardTable({ caption: "The first 100 items", columns: ["Item", "Data", "State", "Where", "Uploaded"], rows, attrs: { id: "items" } }));
  }
}
