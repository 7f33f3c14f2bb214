// /ui/annotation/projects/{id}/new and /ui/annotation/workflows/{id}/edit: the pipeline editor.
// The pools are a row of stages (a column on a phone), each with its name, type, run mode and what
// its type takes — workers (labeling, inspection, spot check), algorithms (algorithm), sample rate
// (spot check) — moved left and right, removed, or added before the completion pool. Create (or,
// editing, Save) sends them as they are: the server checks every rule, and each problem
// (`workflow.pools[1].workers[1]`) is shown on the stage and field it names.
//
// Editing starts from the workflow's pools and sends `POST /annotation/workflow/update` with the
// version it loaded. Pools are matched by name, so each stage says whether it continues an old
// pool or is new. When the server refuses because a removed pool holds items, the form offers, for
// each such pool of people (labeling, inspection, spot check), where its items go: the edited
// pipeline's pools of its type (`moveItems`). A 409 (edited meanwhile) offers to reload.

import { h, fill } from "./dom.js";
import { APIError } from "./api.js";
import { annotation, POOL_TYPES, RUN_MODES, isHumanPool } from "./annotation-api.js";
import { fieldError, ProblemBoard } from "./problems.js";
import { announce, navigate, loading, loadOrNotFound } from "./shell.js";

const DEFAULT = [
  { name: "Distribution", type: 0 }, { name: "Labeling", type: 1 },
  { name: "Inspection", type: 2 }, { name: "Completion", type: 5 },
];

const words = (text) => text.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);

/** The name the server gives a pool sent without one: its type's, capitalised ("Spot Check"). */
const TITLES = ["Distribution", "Labeling", "Inspection", "Spot Check", "Algorithm", "Completion"];
const poolName = (pool) => pool.name.trim() || TITLES[pool.type] || "";

/** Where the server puts a problem with `moveItems[name]` (IssuePath.member): `moveItems.Review`,
 *  or `moveItems["Review 2"]` for a name that is not all letters, digits, `_` and `-`. */
const movePath = (name) => (/^[\p{L}\p{N}_-]+$/u.test(name) ? `moveItems.${name}` : `moveItems[${JSON.stringify(name)}]`);

/** An editor's pool (text fields as typed) from the API's. */
const editable = (p) => ({
  name: p.name || "", type: p.type, runMode: p.runMode || 0,
  workers: (p.workers || []).join(", "), algorithmList: (p.algorithmList || []).join(", "),
  sampleRate: p.sampleRate === undefined || p.sampleRate === null ? "" : String(p.sampleRate),
});

export async function pipelineEditorPage(page, projectId) {
  document.title = "New workflow · Sluice";
  page.main.append(loading("Loading the project…"));
  const project = await loadOrNotFound(page, () => annotation.getProject(projectId), "Project", projectId,
    h("span", {}, "The ", h("a", { href: "/ui/annotation" }, "annotation page"), " lists the projects you may see."));
  if (!project || !page.alive()) return;
  document.title = `New workflow of ${project.name} · Sluice`;
  const algorithms = await algorithmNames(project.namespace);
  if (!page.alive()) return;
  new PipelineEditor(page, project, algorithms).start();
}

/** /ui/annotation/workflows/{id}/edit: the editor on the workflow's pools as they stand. */
export async function pipelineEditPage(page, workflowId) {
  document.title = `Edit workflow ${workflowId} · Sluice`;
  page.main.append(loading("Loading the workflow…"));
  const workflow = await loadOrNotFound(page, () => annotation.getWorkflow(workflowId), "Workflow", workflowId,
    h("span", {}, "The ", h("a", { href: "/ui/annotation" }, "annotation page"), " lists the projects and their workflows."));
  if (!workflow || !page.alive()) return;
  let project = null;
  try { project = await annotation.getProject(workflow.projectId); } catch { /* named by its id then */ }
  const algorithms = await algorithmNames(workflow.namespace);
  if (!page.alive()) return;
  new PipelineEditor(page, project || { projectId: workflow.projectId, name: `project ${workflow.projectId}`, namespace: workflow.namespace }, algorithms, workflow).start();
}

async function algorithmNames(namespace) {
  try { return (await annotation.listAlgorithms(namespace)).list.map((a) => a.name); } catch { return []; /* typed by hand then */ }
}

class PipelineEditor {
  /** `workflow` (the API's, with its `version`) when editing one; creating a workflow otherwise. */
  constructor(page, project, algorithms, workflow = null) {
    this.page = page;
    this.project = project;
    this.algorithms = algorithms;
    this.workflow = workflow;
    this.old = workflow ? workflow.workflow.pools : [];
    this.pools = (workflow ? workflow.workflow.pools : DEFAULT).map(editable);
    this.stranded = []; // names of removed pools the server said hold items
    this.moves = {}; // such a pool's name → the pool its items go to
  }

  start() {
    const p = this.project;
    const w = this.workflow;
    const back = w ? `/ui/annotation/workflows/${w.workflowId}` : `/ui/annotation/projects/${p.projectId}`;
    if (w) document.title = `Edit workflow ${w.workflowId} of ${p.name} · Sluice`;
    this.stages = h("ol", { class: "stages", id: "stages", "aria-label": "Pools, in the order items go through them" });
    const formError = fieldError("pipeline-error");
    formError.el.className = "form-error";
    this.board = new ProblemBoard(formError);
    this.formError = formError;
    this.movesBox = h("fieldset", { class: "card", id: "move-items", hidden: true });
    this.submit = w
      ? h("button", { type: "submit", class: "primary", id: "pipeline-save" }, "Save pools")
      : h("button", { type: "submit", class: "primary", id: "pipeline-create" }, "Create workflow");
    const add = h("button", { type: "button", id: "add-stage" }, "Add a pool");
    add.addEventListener("click", () => this.addStage());
    this.form = h("form", { id: "pipeline-form", novalidate: true, "aria-label": "Pipeline" },
      this.stages, formError.el, this.movesBox,
      h("div", { class: "form-actions" }, this.submit, add, h("a", { href: back }, "Cancel")));
    this.form.addEventListener("submit", (event) => { event.preventDefault(); if (w) this.save(); else this.create(); });
    this.algorithmList = h("datalist", { id: "algorithm-names" }, this.algorithms.map((a) => h("option", { value: a })));
    fill(this.page.main,
      h("div", { class: "page-head" },
        h("div", {},
          h("p", { class: "small" }, w
            ? h("a", { href: back }, `← Workflow ${w.workflowId} of ${p.name}`)
            : h("a", { href: back }, `← ${p.name}`)),
          h("h1", {}, w ? `Edit the pools of workflow ${w.workflowId}` : "New workflow"),
          w ? h("p", { class: "meta" }, h("span", {}, `editing version ${w.version}`), h("span", {}, `namespace ${w.namespace}`)) : null,
          h("p", { class: "description muted" }, "Items enter at the distribution pool and leave at the completion pool; in between, people label and review them and algorithms run on them. Workers are account names; none means anyone who may work in the project."),
          w ? h("p", { class: "description muted" }, "Pools are matched by name: a pool keeping an old pool's name continues it, with the items in it, wherever it now stands; the items on their way go on by the edited pools from their next answer. A removed pool that holds items needs its items moved to a pool of its type.") : null)),
      this.algorithmList, this.form);
    this.draw();
  }

  /** Before the completion pool, if the last is one. */
  addStage() {
    const at = this.pools.length && this.pools[this.pools.length - 1].type === 5 ? this.pools.length - 1 : this.pools.length;
    this.pools.splice(at, 0, { name: "", type: 1, runMode: 0, workers: "", algorithmList: "", sampleRate: "" });
    this.draw(at, "name");
    announce(`Pool ${at + 1} added`);
  }

  move(i, by) {
    const j = i + by;
    [this.pools[i], this.pools[j]] = [this.pools[j], this.pools[i]];
    this.draw(j, by < 0 ? "left" : "right");
    announce(`Pool moved to position ${j + 1}`);
  }

  remove(i) {
    this.pools.splice(i, 1);
    this.draw(Math.min(i, this.pools.length - 1), "name");
    announce(`Pool ${i + 1} removed`);
  }

  /** Redraws every stage from `this.pools` (problems shown are cleared); focuses stage `focusAt`'s `focusPart`. */
  draw(focusAt = null, focusPart = null) {
    this.board = new ProblemBoard(this.formError);
    this.board.add("workflow.pools", this.formError);
    this.formError.clear();
    this.stages.replaceChildren(...this.pools.map((pool, i) => this.stage(pool, i)));
    this.drawMoves();
    if (focusAt !== null && focusAt >= 0) {
      const target = this.stages.querySelector(`[data-stage="${focusAt}"] [data-part="${focusPart}"]`) || this.stages.querySelector(`[data-stage="${focusAt}"] [data-part="name"]`);
      if (target && !target.disabled) target.focus();
    }
  }

  stage(pool, i) {
    const id = (part) => `pool-${i}-${part}`;
    const path = (member) => `workflow.pools[${i}].${member}`;
    const stageError = fieldError(id("error"));
    const field = (part, label, control, hint, noun) => {
      control.id = id(part);
      control.dataset.part = part;
      const error = this.board.add(path(part), fieldError(`${id(part)}-error`, control), noun);
      return h("div", { class: "field" }, h("label", { for: control.id }, h("span", { class: "field-name" }, label)), control,
        hint ? h("div", { class: "hint" }, hint) : null, error.el);
    };
    const bind = (control, member, parse = (v) => v) => {
      control.addEventListener("input", () => { pool[member] = parse(control.value); });
      control.addEventListener("change", () => { pool[member] = parse(control.value); });
      return control;
    };
    const name = bind(h("input", { type: "text", autocomplete: "off", value: pool.name, placeholder: TITLES[pool.type] }), "name");
    // Editing: whether the stage continues an old pool (by its name) or is a new one.
    const match = this.workflow ? h("p", { class: "muted small", "data-part": "match" }) : null;
    const showMatch = () => {
      if (!match) return;
      const n = poolName(pool);
      match.textContent = this.old.some((o) => o.name === n) ? `continues “${n}”` : "a new pool";
    };
    showMatch();
    if (match) name.addEventListener("input", () => { showMatch(); this.drawMoves(); });
    const type = h("select", {}, POOL_TYPES.map((t, n) => h("option", { value: n, selected: n === pool.type }, `${n} · ${t}`)));
    type.addEventListener("change", () => { pool.type = Number(type.value); this.draw(i, "type"); });
    const parts = [field("name", "Name", name), field("type", "Type", type)];
    if (pool.type === 0 || isHumanPool(pool.type)) {
      const mode = bind(h("select", {}, RUN_MODES.map((m, n) => h("option", { value: n, selected: n === pool.runMode }, m === "pull" ? "pull: workers take the next item" : "push: items assigned in advance, in turn"))), "runMode", Number);
      parts.push(field("runMode", "Run mode", mode));
    }
    if (isHumanPool(pool.type)) {
      parts.push(field("workers", "Workers", bind(h("input", { type: "text", autocomplete: "off", spellcheck: "false", value: pool.workers, placeholder: "anyone" }), "workers"),
        "Account names, separated by commas or spaces.", "worker"));
    }
    if (pool.type === 4) {
      parts.push(field("algorithmList", "Algorithms", bind(h("input", { type: "text", autocomplete: "off", spellcheck: "false", value: pool.algorithmList, list: "algorithm-names" }), "algorithmList"),
        this.algorithms.length ? `Registered: ${this.algorithms.join(", ")}.` : "None is registered in this namespace yet (POST /annotation/algorithm/create).", "algorithm"));
    }
    if (pool.type === 3) {
      parts.push(field("sampleRate", "Sample rate", bind(h("input", { type: "number", min: 0, max: 1, step: "any", inputmode: "decimal", value: pool.sampleRate, placeholder: "0.1" }), "sampleRate"),
        "The share of items checked, above 0 and at most 1."));
    }
    this.board.add(`workflow.pools[${i}]`, stageError);
    const last = this.pools.length - 1;
    const label = poolName(pool);
    const button = (part, text, aria, disabled, fn) => h("button", { type: "button", class: "small-button", "data-part": part, "aria-label": aria, disabled, onclick: fn }, text);
    return h("li", { class: `stage pool-type-${pool.type}`, "data-stage": i },
      h("fieldset", {},
        h("legend", {}, `Pool ${i}`),
        match, parts, stageError.el,
        h("div", { class: "stage-actions" },
          button("left", "←", `Move ${label} earlier`, i === 0, () => this.move(i, -1)),
          button("right", "→", `Move ${label} later`, i === last, () => this.move(i, 1)),
          button("remove", "Remove", `Remove ${label}`, this.pools.length <= 1, () => this.remove(i)))));
  }

  /** The pools as the API takes them: only the members their type has. */
  body() {
    return this.pools.map((p) => {
      const pool = { type: p.type, runMode: p.runMode };
      if (p.name.trim()) pool.name = p.name.trim();
      if (isHumanPool(p.type)) pool.workers = words(p.workers);
      if (p.type === 4) pool.algorithmList = words(p.algorithmList);
      if (p.type === 3 && String(p.sampleRate).trim() !== "") pool.sampleRate = Number(p.sampleRate);
      return pool;
    });
  }

  async create() {
    this.board.clear();
    const pools = this.body();
    const bad = pools.findIndex((p) => p.sampleRate !== undefined && !Number.isFinite(p.sampleRate));
    if (bad >= 0) { this.board.show([{ path: `workflow.pools[${bad}].sampleRate`, message: "expected a number" }]); return; }
    this.submit.disabled = true;
    try {
      const created = await annotation.createWorkflow(this.project.projectId, pools);
      announce(`Workflow ${created.workflowId} created`);
      navigate(`/ui/annotation/workflows/${created.workflowId}`);
    } catch (error) {
      if (!this.page.alive()) return;
      this.board.show(error.errors && error.errors.length ? error.errors : [{ path: "", message: error.message }]);
    } finally {
      this.submit.disabled = false;
    }
  }

  // ----------------------------------------------------------------- editing: moves, save

  /** The old pools of people the server said hold items that the edited pools no longer name. */
  strandedPools() {
    const names = new Set(this.pools.map(poolName));
    return this.old.map((o, index) => ({ ...o, index }))
      .filter((o) => isHumanPool(o.type) && this.stranded.includes(o.name) && !names.has(o.name));
  }

  /** For each stranded pool, a select of the edited pipeline's pools of its type (`moveItems`). */
  drawMoves() {
    if (!this.workflow) return;
    const stranded = this.strandedPools();
    this.movesBox.hidden = !stranded.length;
    if (!stranded.length) { this.movesBox.replaceChildren(); return; }
    // Redrawn while a name is typed: the board keeps the fields drawn now.
    const focused = document.activeElement && this.movesBox.contains(document.activeElement) ? document.activeElement.id : null;
    this.movesBox.replaceChildren(
      h("legend", {}, "Items of removed pools"),
      h("p", { class: "muted small" }, "These pools hold items; the edit moves them to a pool of the same type."),
      ...stranded.map((o) => this.moveField(o)));
    if (focused) { const again = document.getElementById(focused); if (again) again.focus(); }
  }

  moveField(old) {
    const targets = [...new Set(this.pools.filter((p) => p.type === old.type).map(poolName))];
    if (!targets.includes(this.moves[old.name])) delete this.moves[old.name];
    const id = `move-${old.index}`;
    const select = h("select", { id, "data-pool": old.name },
      h("option", { value: "" }, "— choose a pool —"),
      targets.map((t) => h("option", { value: t, selected: this.moves[old.name] === t }, t)));
    select.addEventListener("change", () => { if (select.value) this.moves[old.name] = select.value; else delete this.moves[old.name]; });
    // Its problems (`moveItems.Review: …`) land here; redrawn, the field replaces the one before.
    const field = this.board.add(movePath(old.name), fieldError(`${id}-error`, select));
    return h("div", { class: "field", "data-move": old.name },
      h("label", { for: id }, h("span", { class: "field-name" }, `Move the items of “${old.name}” (${POOL_TYPES[old.type]}) to`)),
      select,
      targets.length ? null : h("div", { class: "hint" }, `The edited pipeline has no ${POOL_TYPES[old.type]} pool: add one, or keep “${old.name}”.`),
      field.el);
  }

  /** `moveItems` as the API takes it: the targets chosen for pools the edit still removes. */
  moveItems() {
    const moves = {};
    for (const o of this.strandedPools()) if (this.moves[o.name]) moves[o.name] = this.moves[o.name];
    return moves;
  }

  async save() {
    this.board.clear();
    const pools = this.body();
    const bad = pools.findIndex((p) => p.sampleRate !== undefined && !Number.isFinite(p.sampleRate));
    if (bad >= 0) { this.board.show([{ path: `workflow.pools[${bad}].sampleRate`, message: "expected a number" }]); return; }
    const w = this.workflow;
    this.submit.disabled = true;
    try {
      const stored = await annotation.updateWorkflow(w.workflowId, pools, w.version, this.moveItems());
      announce(`Workflow ${w.workflowId} stored as version ${stored.version}`);
      navigate(`/ui/annotation/workflows/${w.workflowId}`);
    } catch (error) {
      if (!this.page.alive()) return;
      if (error instanceof APIError && error.status === 409) { this.showConflict(); return; }
      const problems = error.errors && error.errors.length ? error.errors : [{ path: "", message: error.message }];
      // "the edit removes pool "Review" (inspection), which holds 1 item (…)": offer its move.
      const named = this.old.filter((o) => isHumanPool(o.type) && !this.stranded.includes(o.name) &&
        problems.some((p) => p.path === "workflow.pools" && p.code === "pool_not_empty" && p.message.includes(`pool "${o.name}"`)));
      if (named.length) {
        this.stranded.push(...named.map((o) => o.name));
        this.drawMoves();
      }
      this.board.show(problems);
      if (named.length && !this.form.querySelector("[aria-invalid=true]")) {
        const first = this.movesBox.querySelector("select");
        if (first) first.focus();
      }
    } finally {
      this.submit.disabled = false;
    }
  }

  showConflict() {
    const w = this.workflow;
    const reload = h("button", { type: "button", id: "pipeline-reload" }, "Reload");
    reload.addEventListener("click", () => navigate(location.pathname, { replace: true }));
    this.formError.clear();
    this.formError.el.hidden = false;
    this.formError.el.append(h("div", { id: "pipeline-conflict" },
      `Nothing was stored: someone else edited workflow ${w.workflowId} meanwhile (this edit started from version ${w.version}). `,
      reload, " to edit its pools as they stand now (the changes made here are dropped)."));
    reload.focus();
  }
}
