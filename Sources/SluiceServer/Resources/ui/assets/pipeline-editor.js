// /ui/annotation/projects/{id}/new: the pipeline editor. The pools are a row of stages (a column
// on a phone), each with its name, type, run mode and what its type takes — workers (labeling,
// inspection, spot check), algorithms (algorithm), sample rate (spot check) — moved left and
// right, removed, or added before the completion pool. Create sends them as they are: the server
// checks every rule, and each problem (`workflow.pools[1].workers[1]`) is shown on the stage and
// field it names.

import { h, fill } from "./dom.js";
import { annotation, POOL_TYPES, RUN_MODES, isHumanPool } from "./annotation-api.js";
import { fieldError, ProblemBoard } from "./problems.js";
import { announce, navigate, loading, loadOrNotFound } from "./shell.js";

const DEFAULT = [
  { name: "Distribution", type: 0 }, { name: "Labeling", type: 1 },
  { name: "Inspection", type: 2 }, { name: "Completion", type: 5 },
];

const words = (text) => text.split(/[\s,]+/).map((w) => w.trim()).filter(Boolean);

export async function pipelineEditorPage(page, projectId) {
  document.title = "New workflow · Sluice";
  page.main.append(loading("Loading the project…"));
  const project = await loadOrNotFound(page, () => annotation.getProject(projectId), "Project", projectId,
    h("span", {}, "The ", h("a", { href: "/ui/annotation" }, "annotation page"), " lists the projects you may see."));
  if (!project || !page.alive()) return;
  document.title = `New workflow of ${project.name} · Sluice`;
  let algorithms = [];
  try { algorithms = (await annotation.listAlgorithms(project.namespace)).list.map((a) => a.name); } catch { /* typed by hand then */ }
  if (!page.alive()) return;
  new PipelineEditor(page, project, algorithms).start();
}

class PipelineEditor {
  constructor(page, project, algorithms) {
    this.page = page;
    this.project = project;
    this.algorithms = algorithms;
    this.pools = DEFAULT.map((p) => ({ runMode: 0, workers: "", algorithmList: "", sampleRate: "", ...p }));
  }

  start() {
    const p = this.project;
    this.stages = h("ol", { class: "stages", id: "stages", "aria-label": "Pools, in the order items go through them" });
    const formError = fieldError("pipeline-error");
    formError.el.className = "form-error";
    this.board = new ProblemBoard(formError);
    this.formError = formError;
    this.submit = h("button", { type: "submit", class: "primary", id: "pipeline-create" }, "Create workflow");
    const add = h("button", { type: "button", id: "add-stage" }, "Add a pool");
    add.addEventListener("click", () => this.addStage());
    this.form = h("form", { id: "pipeline-form", novalidate: true, "aria-label": "Pipeline" },
      this.stages, formError.el,
      h("div", { class: "form-actions" }, this.submit, add,
        h("a", { href: `/ui/annotation/projects/${p.projectId}` }, "Cancel")));
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.create(); });
    this.algorithmList = h("datalist", { id: "algorithm-names" }, this.algorithms.map((a) => h("option", { value: a })));
    fill(this.page.main,
      h("div", { class: "page-head" },
        h("div", {},
          h("p", { class: "small" }, h("a", { href: `/ui/annotation/projects/${p.projectId}` }, `← ${p.name}`)),
          h("h1", {}, "New workflow"),
          h("p", { class: "description muted" }, "Items enter at the distribution pool and leave at the completion pool; in between, people label and review them and algorithms run on them. Workers are account names; none means anyone who may work in the project."))),
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
    const name = bind(h("input", { type: "text", autocomplete: "off", value: pool.name, placeholder: POOL_TYPES[pool.type] }), "name");
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
    const label = pool.name || POOL_TYPES[pool.type];
    const button = (part, text, aria, disabled, fn) => h("button", { type: "button", class: "small-button", "data-part": part, "aria-label": aria, disabled, onclick: fn }, text);
    return h("li", { class: `stage pool-type-${pool.type}`, "data-stage": i },
      h("fieldset", {},
        h("legend", {}, `Pool ${i}`),
        parts, stageError.el,
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
}
