// /ui: every workflow, newest first, each with its steps by column, searchable by name or id
// (the search is kept in the address as ?q=). On narrow screens each workflow is a card.

import { h, time } from "./dom.js";
import { allWorkflows, cachedWorkflow } from "./api.js";
import { shapeChips } from "./graph.js";
import { loading, cardTable, labelled } from "./shell.js";

/** Runs `tasks` (functions returning promises) at most `limit` at a time. */
function runLimited(tasks, limit) {
  let next = 0;
  const worker = async () => { while (next < tasks.length) { const t = tasks[next++]; try { await t(); } catch { /* shown per row */ } } };
  return Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

export async function workflowsPage(page) {
  document.title = "Workflows · Sluice";
  const params = new URLSearchParams(location.search);
  const search = h("input", {
    id: "workflow-search", type: "search", placeholder: "Search by name or id", value: params.get("q") || "",
    "aria-label": "Search workflows by name or id", autocomplete: "off",
  });
  const list = h("div", { id: "workflow-list" }, loading("Loading workflows…"));
  page.main.append(
    h("div", { class: "page-head" }, h("h1", {}, "Workflows"),
      h("a", { class: "button primary", href: "/ui/new" }, "New workflow")),
    h("div", { class: "toolbar" }, search),
    list);

  const { workflows, complete } = await allWorkflows();
  if (!page.alive()) return;
  if (!workflows.length) {
    list.replaceChildren(h("div", { class: "state empty" },
      h("h2", {}, "No workflows yet"),
      h("p", {}, "Write one in the ", h("a", { href: "/ui/new" }, "workflow editor"), ", or create one from the command line:"),
      h("pre", {}, "sluice workflow create -f workflow.yaml")));
    search.disabled = true;
    return;
  }
  let shown = 50;
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const matching = q ? workflows.filter((w) => w.name.toLowerCase().includes(q) || w.workflow_id.toLowerCase().includes(q)) : workflows;
    if (!matching.length) {
      list.replaceChildren(h("div", { class: "state empty" },
        h("p", {}, `No workflow’s name or id contains “${search.value.trim()}”.`),
        h("button", { type: "button", onclick: () => { search.value = ""; search.dispatchEvent(new Event("input")); search.focus(); } }, "Clear the search")));
      return;
    }
    const rows = matching.slice(0, shown).map((w) => {
      const shape = h("span", { class: "muted" }, "…");
      const row = h("tr", { "data-workflow": w.workflow_id },
        h("td", { class: "card-title" },
          h("a", { href: `/ui/workflows/${encodeURIComponent(w.workflow_id)}`, class: "strong" }, w.name),
          h("div", { class: "mono muted small" }, w.workflow_id),
          w.description ? h("div", { class: "muted small clamp" }, w.description) : null),
        labelled("Steps", { class: "shape-cell" }, shape),
        labelled("Version", { class: "num" }, `v${w.version}`),
        labelled("Updated", {}, time(w.updated_at)));
      row.fill = () => cachedWorkflow(w.workflow_id, w.version).then((full) => {
        shape.replaceWith(shapeChips(full.graph));
      }, (error) => { shape.replaceWith(h("span", { class: "muted", title: error.message }, "could not load")); });
      return row;
    });
    const table = cardTable({ caption: "Workflows, newest first", columns: ["Name", "Steps", "Version", "Updated"], rows, attrs: { id: "workflows" } });
    const more = matching.length > shown
      ? h("button", { type: "button", class: "more", onclick: () => { shown += 50; draw(); } }, `Show more (${matching.length - shown} left)`)
      : null;
    list.replaceChildren(
      h("p", { class: "muted small", role: "status" }, q ? `${matching.length} of ${workflows.length} workflows` : `${workflows.length} workflow${workflows.length === 1 ? "" : "s"}${complete ? "" : " (the newest; the list was cut at 20,000)"}`),
      table, more || "");
    runLimited(rows.map((r) => r.fill), 4);
  };
  search.addEventListener("input", () => {
    shown = 50;
    const url = new URL(location.href);
    if (search.value.trim()) url.searchParams.set("q", search.value.trim()); else url.searchParams.delete("q");
    history.replaceState({}, "", url.pathname + url.search);
    draw();
  });
  draw();
}
