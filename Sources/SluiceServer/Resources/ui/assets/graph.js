// Draws a workflow's checked graph (`graph.tasks`, `graph.edges` of the API) as SVG: a layered
// layout (a task's column is the longest path to it from a source; within a column tasks are
// ordered by the mean position of their dependencies), edges labelled with the type flowing
// along them. Nodes are coloured by step type, or by task status on an execution page.

import { s, h, typeColour } from "./dom.js";

const NODE_W = 176, NODE_H = 52, GAP_X = 92, GAP_Y = 26, PAD = 16;

/** Columns (ranks) and the order within each: `{rank: Map(id→column), columns: [[id…]…]}`. */
export function layout(tasks) {
  const byID = new Map(tasks.map((t) => [t.id, t]));
  const rank = new Map();
  const visiting = new Set();
  const rankOf = (id) => {
    if (rank.has(id)) return rank.get(id);
    if (visiting.has(id)) return 0; // a cycle cannot be stored; stay finite anyway
    visiting.add(id);
    const deps = (byID.get(id)?.depends_on || []).filter((d) => byID.has(d));
    const r = deps.length ? 1 + Math.max(...deps.map(rankOf)) : 0;
    visiting.delete(id);
    rank.set(id, r);
    return r;
  };
  tasks.forEach((t) => rankOf(t.id));
  const columns = [];
  for (const t of tasks) (columns[rank.get(t.id)] ||= []).push(t.id);
  // Two sweeps of the barycentre heuristic keep edges short and mostly uncrossed.
  const position = new Map();
  const place = () => columns.forEach((col) => col.forEach((id, i) => position.set(id, i)));
  place();
  for (let sweep = 0; sweep < 2; sweep++) {
    for (let c = 1; c < columns.length; c++) {
      const key = (id) => {
        const deps = (byID.get(id).depends_on || []).filter((d) => position.has(d));
        return deps.length ? deps.reduce((a, d) => a + position.get(d), 0) / deps.length : position.get(id);
      };
      const keys = new Map(columns[c].map((id) => [id, key(id)]));
      columns[c].sort((a, b) => keys.get(a) - keys.get(b));
      place();
    }
  }
  return { rank, columns };
}

function truncate(text, max) {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The graph as an element. `options.statuses` (Map id→status) colours by status;
 * `options.onSelect(id)` makes nodes buttons (click, Enter, Space). Returns
 * `{element, setStatuses(map), select(id)}`.
 */
export function drawGraph(graph, options = {}) {
  const tasks = graph.tasks || [];
  const edges = graph.edges || [];
  const { columns } = layout(tasks);
  const vertical = Boolean(options.vertical);
  const tallest = Math.max(1, ...columns.map((c) => c.length));
  const centre = new Map();
  columns.forEach((col, c) => {
    const offset = (tallest - col.length) / 2;
    col.forEach((id, i) => {
      const across = PAD + (offset + i) * (vertical ? NODE_W + GAP_Y : NODE_H + GAP_Y);
      const along = PAD + c * (vertical ? NODE_H + GAP_X : NODE_W + GAP_X);
      centre.set(id, vertical
        ? { x: across + NODE_W / 2, y: along + NODE_H / 2 }
        : { x: along + NODE_W / 2, y: across + NODE_H / 2 });
    });
  });
  const width = vertical
    ? PAD * 2 + tallest * NODE_W + (tallest - 1) * GAP_Y
    : PAD * 2 + columns.length * NODE_W + (columns.length - 1) * GAP_X;
  const height = vertical
    ? PAD * 2 + columns.length * NODE_H + (columns.length - 1) * GAP_X
    : PAD * 2 + tallest * NODE_H + (tallest - 1) * GAP_Y;

  const svg = s("svg", {
    class: "graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "group",
    "aria-label": `Workflow graph: ${tasks.length} task${tasks.length === 1 ? "" : "s"}`,
  });
  svg.append(s("defs", {},
    s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))));

  const edgeLayer = s("g", { class: "edges" });
  const labelLayer = s("g", { class: "edge-labels" });
  for (const edge of edges) {
    const a = centre.get(edge.from), b = centre.get(edge.to);
    if (!a || !b) continue;
    let d, mx, my;
    if (vertical) {
      const y1 = a.y + NODE_H / 2, y2 = b.y - NODE_H / 2, k = (y2 - y1) / 2;
      d = `M${a.x},${y1} C${a.x},${y1 + k} ${b.x},${y2 - k} ${b.x},${y2}`;
      mx = (a.x + b.x) / 2; my = (y1 + y2) / 2;
    } else {
      const x1 = a.x + NODE_W / 2, x2 = b.x - NODE_W / 2, k = (x2 - x1) / 2;
      d = `M${x1},${a.y} C${x1 + k},${a.y} ${x2 - k},${b.y} ${x2},${b.y}`;
      mx = (x1 + x2) / 2; my = (a.y + b.y) / 2;
    }
    edgeLayer.append(s("path", { d, class: "edge", "marker-end": "url(#arrow)", "data-from": edge.from, "data-to": edge.to }));
    if (edge.type) {
      const label = truncate(edge.type, 16);
      const w = label.length * 6.6 + 8;
      labelLayer.append(s("g", { class: "edge-label", transform: `translate(${mx},${my})` },
        s("title", {}, `${edge.from} → ${edge.to}: ${edge.type}`),
        s("rect", { x: -w / 2, y: -9, width: w, height: 18, rx: 4 }),
        s("text", { "text-anchor": "middle", y: 4 }, label)));
    }
  }
  svg.append(edgeLayer, labelLayer);

  const nodes = new Map();
  const nodeLayer = s("g", { class: "nodes" });
  for (const task of tasks) {
    const c = centre.get(task.id);
    const interactive = typeof options.onSelect === "function";
    const g = s("g", {
      class: `node type-${typeColour(task.type)}`, transform: `translate(${c.x - NODE_W / 2},${c.y - NODE_H / 2})`,
      "data-task": task.id, "data-type": task.type,
      tabindex: interactive ? 0 : null, role: interactive ? "button" : null,
    });
    const title = s("title", {}, `${task.id} (${task.type}): takes ${task.input_type}, gives ${task.output_type}`);
    g.append(title,
      s("rect", { class: "node-box", width: NODE_W, height: NODE_H, rx: 8 }),
      s("rect", { class: "node-stripe", width: 6, height: NODE_H, rx: 3 }),
      s("text", { class: "node-id", x: 14, y: 21 }, truncate(task.id, 22)),
      s("text", { class: "node-type", x: 14, y: 39 }, truncate(task.type, 25)));
    const statusText = s("text", { class: "node-status", x: NODE_W - 8, y: 21, "text-anchor": "end" });
    g.append(statusText);
    if (interactive) {
      g.addEventListener("click", () => options.onSelect(task.id));
      g.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); options.onSelect(task.id); }
      });
    }
    nodes.set(task.id, { g, title, statusText, task });
    nodeLayer.append(g);
  }
  svg.append(nodeLayer);

  const symbols = { PENDING: "○", RUNNING: "◐", RETRYING: "↻", COMPLETED: "✓", FAILED: "✕", SKIPPED: "–", CANCELLED: "⊘" };
  const setStatuses = (statuses) => {
    svg.classList.add("by-status");
    for (const [id, node] of nodes) {
      const status = statuses.get(id);
      if (!status) continue;
      node.g.setAttribute("data-status", status);
      node.g.setAttribute("aria-label", `${id}, ${node.task.type}, ${status}`);
      node.statusText.textContent = `${symbols[status] || ""} ${status}`;
      node.title.textContent = `${id} (${node.task.type}): ${status}`;
    }
  };
  const select = (id) => {
    for (const [taskID, node] of nodes) node.g.classList.toggle("selected", taskID === id);
  };
  if (options.statuses) setStatuses(options.statuses);
  const element = h("div", { class: "graph-scroll", tabindex: -1 }, svg);
  return { element, setStatuses, select };
}

/** A legend for the step types of a graph (colour + name). */
export function typeLegend(tasks) {
  const types = [...new Set(tasks.map((t) => t.type))];
  return h("ul", { class: "legend", "aria-label": "Step types" },
    types.map((type) => h("li", {}, h("span", { class: `swatch type-${typeColour(type)}` }), type)));
}

/** The graph by columns, as text chips: `StaticTextInput → Length · Uppercase → Echo`. */
export function shapeChips(graph) {
  const tasks = graph.tasks || [];
  const { columns } = layout(tasks);
  const byID = new Map(tasks.map((t) => [t.id, t]));
  const out = h("span", { class: "shape" });
  const shown = columns.slice(0, 6);
  shown.forEach((col, c) => {
    if (c > 0) out.append(h("span", { class: "arrow", "aria-hidden": "true" }, "→"));
    const group = h("span", { class: "shape-group" });
    col.slice(0, 3).forEach((id, i) => {
      const type = byID.get(id).type;
      if (i > 0) group.append(h("span", { class: "sep", "aria-hidden": "true" }, "·"));
      group.append(h("span", { class: `chip type-${typeColour(type)}`, title: `${id}: ${type}` }, type));
    });
    if (col.length > 3) group.append(h("span", { class: "muted" }, `+${col.length - 3}`));
    out.append(group);
  });
  if (columns.length > shown.length) {
    const rest = columns.slice(shown.length).reduce((n, col) => n + col.length, 0);
    out.append(h("span", { class: "arrow", "aria-hidden": "true" }, "→"), h("span", { class: "muted" }, `${rest} more`));
  }
  return out;
}
