// Draws a workflow's checked graph (`graph.tasks`, `graph.edges` of the API) as SVG, as a layered
// (Sugiyama) layout:
//   1. layers: a task's column is the longest path to it from a source;
//   2. an edge that spans several columns gets a virtual node in each column it passes, so it
//      is routed through a gap between the tasks of that column instead of across them;
//   3. crossing reduction: barycentre sweeps down and up over tasks and virtual nodes alike,
//      with adjacent swaps, keeping the order with the fewest crossings;
//   4. positions within a column: each task or virtual node is pulled towards the mean of its
//      neighbours' positions (long edges most strongly, so they run straight) while keeping
//      its distance from the one before it (isotonic regression, pool-adjacent-violators);
//   5. edges: curves across the gaps between columns, straight through a column (where only
//      edges are), each ending at its own target's side; several edges at one side get ports
//      of their own; each edge's type label sits in a gap (never on a task), moved apart from
//      the other labels of that gap.
// Nodes are coloured by step type, or by task status on an execution page. Left to right, or
// top to bottom (`vertical`) on narrow screens.

import { s, h, typeColour } from "./dom.js";

const NODE_W = 176, NODE_H = 52, GAP_X = 92, GAP_Y = 26, PAD = 16;
const LINE_GAP = 14;   // between an edge passing a column and a task box beside it
const LINES_GAP = 12;  // between two edges passing a column side by side
const LABEL_H = 18, LABEL_CHAR = 6.6, LABEL_MAX = 16, LABEL_GAP = 4;

const truncate = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

// A task's texts in its box: the id and the status share the first line, the type has the
// second. Each is cut with "…" to the room it has, measured in the font it is drawn in (as
// app.css sets it for .node-id, .node-type and .node-status); the box's title has them whole.
const TEXT_X = 14, TEXT_END = 8, STATUS_GAP = 8;
const NODE_FONTS = { id: "700 13px", type: "11.5px", status: "700 11px" };
let measurer = null;
function textWidth(text, font) {
  if (!measurer) measurer = document.createElement("canvas").getContext("2d");
  measurer.font = `${font} ${getComputedStyle(document.body).fontFamily}`;
  return measurer.measureText(text).width;
}
function fit(text, font, room) {
  if (textWidth(text, font) <= room) return text;
  let low = 0, high = text.length - 1;  // the longest prefix that fits with "…"
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (textWidth(`${text.slice(0, mid)}…`, font) <= room) low = mid; else high = mid - 1;
  }
  return `${text.slice(0, low)}…`;
}
const labelText = (type) => truncate(type, LABEL_MAX);
const labelWidth = (text) => text.length * LABEL_CHAR + 8;
const linkKey = (from, to) => `${from}\u0000${to}`;

/** Fits `desired` (ascending order kept) so that `p[i+1] - p[i] >= gaps[i]`, moving the items
 *  as little as possible (least squares weighted by `weights`): pool adjacent violators. */
function spread(desired, weights, gaps) {
  const offset = [0];
  for (let i = 1; i < desired.length; i++) offset.push(offset[i - 1] + gaps[i - 1]);
  const blocks = [];
  desired.forEach((d, i) => {
    blocks.push({ sum: weights[i] * (d - offset[i]), weight: weights[i], count: 1 });
    while (blocks.length > 1) {
      const b = blocks[blocks.length - 1], a = blocks[blocks.length - 2];
      if (a.sum / a.weight <= b.sum / b.weight) break;
      blocks.pop();
      a.sum += b.sum; a.weight += b.weight; a.count += b.count;
    }
  });
  const out = [];
  for (const b of blocks) for (let k = 0; k < b.count; k++) out.push(b.sum / b.weight + offset[out.length]);
  return out;
}

/** Crossings between two adjacent layers (`upper`'s items linked to their `succs`). */
function crossings(upper, lowerSize) {
  const pairs = [];
  for (const u of upper) for (const v of u.succs) pairs.push([u.index, v.index]);
  pairs.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const tree = new Array(lowerSize + 1).fill(0);
  let count = 0;
  pairs.forEach(([, v], seen) => {
    let atMost = 0;
    for (let i = v + 1; i > 0; i -= i & -i) atMost += tree[i];
    count += seen - atMost;
    for (let i = v + 1; i <= lowerSize; i += i & -i) tree[i]++;
  });
  return count;
}

/**
 * Columns (ranks) and the order within each: `{rank: Map(id→column), columns: [[id…]…]}`,
 * plus `layers` (per column its tasks and virtual nodes in order: `{id?, real, layer, index,
 * preds, succs}`) and `chains` (per dependency `from→to`, the items its edge passes).
 * Dependencies are the tasks' `depends_on` and, when given, `edges`.
 */
export function layout(tasks, edges = []) {
  const byID = new Map(tasks.map((t) => [t.id, t]));
  const preds = new Map(tasks.map((t) => [t.id, []]));
  const depend = (from, to) => {
    if (from === to || !byID.has(from) || !byID.has(to)) return;
    if (!preds.get(to).includes(from)) preds.get(to).push(from);
  };
  for (const t of tasks) for (const d of t.depends_on || []) depend(d, t.id);
  for (const e of edges) depend(e.from, e.to);

  const rank = new Map();
  const visiting = new Set();
  const rankOf = (id) => {
    if (rank.has(id)) return rank.get(id);
    if (visiting.has(id)) return 0; // a cycle cannot be stored; stay finite anyway
    visiting.add(id);
    const deps = preds.get(id);
    const r = deps.length ? 1 + Math.max(...deps.map(rankOf)) : 0;
    visiting.delete(id);
    rank.set(id, r);
    return r;
  };
  tasks.forEach((t) => rankOf(t.id));

  // Tasks and, for each edge spanning several columns, a virtual node per column between.
  const layers = [];
  const item = (layer, fields) => {
    const it = { layer, preds: [], succs: [], real: false, ...fields };
    (layers[layer] ||= []).push(it);
    return it;
  };
  const items = new Map(tasks.map((t) => [t.id, item(rank.get(t.id), { id: t.id, real: true })]));
  for (let l = 0; l < layers.length; l++) layers[l] ||= [];
  const chains = new Map();
  for (const t of tasks) {
    for (const from of preds.get(t.id)) {
      const a = items.get(from), b = items.get(t.id);
      if (a.layer >= b.layer) continue; // only in a cycle
      const chain = [a];
      for (let l = a.layer + 1; l < b.layer; l++) chain.push(item(l, { from, to: t.id }));
      chain.push(b);
      for (let i = 1; i < chain.length; i++) {
        chain[i - 1].succs.push(chain[i]);
        chain[i].preds.push(chain[i - 1]);
      }
      chains.set(linkKey(from, t.id), chain);
    }
  }

  // Crossing reduction.
  const number = (layer) => layer.forEach((it, i) => { it.index = i; });
  const mean = (list) => list.reduce((a, it) => a + it.index, 0) / list.length;
  const sortBy = (layer, side) => {
    const key = new Map(layer.map((it) => [it, it[side].length ? mean(it[side]) : it.index]));
    layer.sort((a, b) => key.get(a) - key.get(b) || a.index - b.index);
    number(layer);
  };
  const total = () => layers.slice(0, -1).reduce((n, layer, l) => n + crossings(layer, layers[l + 1].length), 0);
  const crossed = (u, v, side) => {
    let n = 0;
    for (const a of u[side]) for (const b of v[side]) if (a.index > b.index) n++;
    return n;
  };
  const transpose = () => {
    for (let round = 0, improved = true; improved && round < 6; round++) {
      improved = false;
      for (const layer of layers) {
        for (let i = 0; i + 1 < layer.length; i++) {
          const u = layer[i], v = layer[i + 1];
          const kept = crossed(u, v, "preds") + crossed(u, v, "succs");
          const swapped = crossed(v, u, "preds") + crossed(v, u, "succs");
          if (swapped < kept) {
            layer[i] = v; layer[i + 1] = u; v.index = i; u.index = i + 1;
            improved = true;
          }
        }
      }
    }
  };
  layers.forEach(number);
  for (let l = 1; l < layers.length; l++) sortBy(layers[l], "preds");
  let best = layers.map((layer) => layer.slice()), fewest = total();
  const size = layers.reduce((n, layer) => n + layer.length, 0);
  for (let sweep = 0; sweep < 10 && fewest > 0 && size <= 3000; sweep++) {
    for (let l = layers.length - 2; l >= 0; l--) sortBy(layers[l], "succs");
    for (let l = 1; l < layers.length; l++) sortBy(layers[l], "preds");
    if (size <= 600) transpose();
    const now = total();
    if (now < fewest) { fewest = now; best = layers.map((layer) => layer.slice()); }
  }
  best.forEach((layer, l) => { layers[l] = layer; number(layer); });

  const columns = layers.map((layer) => layer.filter((it) => it.real).map((it) => it.id));
  return { rank, columns, layers, chains };
}

/** Positions across the columns (`it.pos`, the centre) for every task and virtual node. */
function place(layers, across) {
  const extent = (it) => (it.real ? across : 0);
  const gap = (a, b) => (a.real && b.real ? GAP_Y : a.real || b.real ? LINE_GAP : LINES_GAP);
  const gaps = (layer) => layer.slice(1).map((it, i) => (extent(layer[i]) + extent(it)) / 2 + gap(layer[i], it));
  // How strongly two neighbours pull at each other: long edges (between virtual nodes) most.
  const pull = (a, b) => (a.real && b.real ? 1 : a.real || b.real ? 2 : 8);
  for (const layer of layers) {
    const g = gaps(layer);
    const length = g.reduce((a, x) => a + x, 0);
    let p = -length / 2;
    layer.forEach((it, i) => { it.pos = p; p += g[i] || 0; });
  }
  const align = (layer, sides) => {
    const desired = [], weights = [];
    for (const it of layer) {
      let sum = 0, weight = 0;
      for (const side of sides) for (const n of it[side]) { const w = pull(it, n); sum += w * n.pos; weight += w; }
      desired.push(weight ? sum / weight : it.pos);
      weights.push(weight || 0.05);
    }
    spread(desired, weights, gaps(layer)).forEach((p, i) => { layer[i].pos = p; });
  };
  for (let round = 0; round < 8; round++) {
    for (let l = 1; l < layers.length; l++) align(layers[l], ["preds"]);
    for (let l = layers.length - 2; l >= 0; l--) align(layers[l], ["succs"]);
  }
  for (let round = 0; round < 2; round++) for (const layer of layers) align(layer, ["preds", "succs"]);
}

/** `n` port offsets along a side of `length`, centred, at most `step` apart. */
function ports(n, length, step) {
  if (n <= 1) return [0];
  const room = Math.min(step * (n - 1), length);
  return Array.from({ length: n }, (_, i) => -room / 2 + (room * i) / (n - 1));
}

/**
 * The graph as an element. `options.statuses` (Map id→status) colours by status;
 * `options.onSelect(id)` makes nodes buttons (click, Enter, Space). Returns
 * `{element, setStatuses(map), select(id)}`.
 */
export function drawGraph(graph, options = {}) {
  const tasks = graph.tasks || [];
  const ids = new Set(tasks.map((t) => t.id));
  const edges = (graph.edges || []).filter((e) => ids.has(e.from) && ids.has(e.to));
  const { layers, chains } = layout(tasks, edges);
  const vertical = Boolean(options.vertical);
  // Layout coordinates: `along` the columns' direction (x, or y when vertical) and `across`.
  const alongSize = vertical ? NODE_H : NODE_W, acrossSize = vertical ? NODE_W : NODE_H;
  const labelAcross = (text) => (vertical ? labelWidth(text) : LABEL_H);
  // Labels sit in the gaps between columns: wide enough for the widest one (and an arrowhead).
  const widest = Math.max(0, ...edges.filter((e) => e.type).map((e) => labelWidth(labelText(e.type))));
  const gapAlong = vertical ? GAP_X : Math.max(GAP_X, Math.ceil(widest) + 28);
  const start = (l) => PAD + l * (alongSize + gapAlong);
  const end = (l) => start(l) + alongSize;
  place(layers, acrossSize);

  // Ports: the edges at one side of a task, ordered by where they come from or go to.
  const outPort = new Map(), inPort = new Map();
  const portStep = vertical ? 18 : 9, portRoom = acrossSize - (vertical ? 48 : 16);
  const leaving = new Map(), arriving = new Map();
  const add = (map, it, chain) => (map.get(it) || map.set(it, []).get(it)).push(chain);
  for (const chain of chains.values()) { add(leaving, chain[0], chain); add(arriving, chain[chain.length - 1], chain); }
  for (const [map, portOf, towards] of [[leaving, outPort, (c) => c[1]], [arriving, inPort, (c) => c[c.length - 2]]]) {
    for (const [it, mine] of map) {
      mine.sort((a, b) => towards(a).pos - towards(b).pos || towards(a).index - towards(b).index);
      const offsets = ports(mine.length, portRoom, portStep);
      mine.forEach((c, i) => portOf.set(c, it.pos + offsets[i]));
    }
  }

  // Each edge as points (along, across): from its source's side, alternately a curve across the
  // gap to the next column and a straight line through that column, to its target's side.
  const routes = [];
  const labels = [];
  for (const edge of edges) {
    const chain = chains.get(linkKey(edge.from, edge.to));
    if (!chain) continue;
    const points = [[end(chain[0].layer), outPort.get(chain)]];
    for (const v of chain.slice(1, -1)) points.push([start(v.layer), v.pos], [end(v.layer), v.pos]);
    points.push([start(chain[chain.length - 1].layer), inPort.get(chain)]);
    routes.push({ edge, points });
    if (edge.type) {
      const text = labelText(edge.type);
      // One candidate per gap the edge crosses: the middle of its curve there.
      const candidates = [];
      for (let i = 0; i + 1 < points.length; i += 2) {
        candidates.push({ gap: chain[0].layer + i / 2, along: (points[i][0] + points[i + 1][0]) / 2, across: (points[i][1] + points[i + 1][1]) / 2 });
      }
      labels.push({ edge, text, size: labelAcross(text), candidates });
    }
  }
  // Each label goes to the gap where it meets the fewest others, then the labels of a gap are
  // moved apart across it (a gap holds no task, so a label there is never on one).
  const byGap = new Map();
  for (const label of labels) {
    let chosen = null, clashes = Infinity;
    for (const c of label.candidates) {
      const n = (byGap.get(c.gap) || []).filter((o) => Math.abs(o.across - c.across) < (o.size + label.size) / 2 + LABEL_GAP).length;
      if (n < clashes) { clashes = n; chosen = c; }
    }
    Object.assign(label, chosen);
    (byGap.get(label.gap) || byGap.set(label.gap, []).get(label.gap)).push(label);
  }
  for (const list of byGap.values()) {
    list.sort((a, b) => a.across - b.across);
    const gaps = list.slice(1).map((l, i) => (list[i].size + l.size) / 2 + LABEL_GAP);
    spread(list.map((l) => l.across), list.map(() => 1), gaps).forEach((p, i) => { list[i].across = p; });
  }

  // The drawing's extent across, then layout coordinates → SVG x, y.
  let low = Infinity, high = -Infinity;
  const extend = (a, b) => { low = Math.min(low, a); high = Math.max(high, b); };
  for (const layer of layers) for (const it of layer) extend(it.pos - (it.real ? acrossSize / 2 : 0), it.pos + (it.real ? acrossSize / 2 : 0));
  for (const l of labels) extend(l.across - l.size / 2, l.across + l.size / 2);
  if (low > high) { low = 0; high = 0; }
  const shift = PAD - low;
  const acrossTotal = high - low + 2 * PAD;
  const alongTotal = layers.length ? end(layers.length - 1) + PAD : 2 * PAD;
  const xy = (along, across) => (vertical ? [across + shift, along] : [along, across + shift]);
  const round = (n) => Math.round(n * 10) / 10;
  const pt = (along, across) => xy(along, across).map(round).join(",");
  const width = Math.ceil(vertical ? acrossTotal : alongTotal);
  const height = Math.ceil(vertical ? alongTotal : acrossTotal);

  const svg = s("svg", {
    class: "graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "group",
    "aria-label": `Workflow graph: ${tasks.length} task${tasks.length === 1 ? "" : "s"}`,
  });
  svg.append(s("defs", {},
    s("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
      s("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))));

  const edgeLayer = s("g", { class: "edges" });
  for (const { edge, points } of routes) {
    let d = `M${pt(...points[0])}`;
    for (let i = 1; i < points.length; i++) {
      const [a1, c1] = points[i - 1], [a2, c2] = points[i];
      if (i % 2) {
        // Across a gap: a curve leaving and arriving straight along the columns' direction.
        const k = (a2 - a1) / 2;
        d += ` C${pt(a1 + k, c1)} ${pt(a2 - k, c2)} ${pt(a2, c2)}`;
      } else {
        d += ` L${pt(a2, c2)}`; // through a column, beside its tasks
      }
    }
    edgeLayer.append(s("path", { d, class: "edge", "marker-end": "url(#arrow)", "data-from": edge.from, "data-to": edge.to }));
  }
  const labelLayer = s("g", { class: "edge-labels" });
  for (const label of labels) {
    const [x, y] = xy(label.along, label.across);
    const w = labelWidth(label.text);
    labelLayer.append(s("g", { class: "edge-label", transform: `translate(${round(x)},${round(y)})` },
      s("title", {}, `${label.edge.from} → ${label.edge.to}: ${label.edge.type}`),
      s("rect", { x: -w / 2, y: -LABEL_H / 2, width: w, height: LABEL_H, rx: 4 }),
      s("text", { "text-anchor": "middle", y: 4 }, label.text)));
  }
  svg.append(edgeLayer, labelLayer);

  const centre = new Map();
  for (const layer of layers) for (const it of layer) if (it.real) centre.set(it.id, xy(start(it.layer) + alongSize / 2, it.pos));
  const nodes = new Map();
  const nodeLayer = s("g", { class: "nodes" });
  for (const task of tasks) {
    const [cx, cy] = centre.get(task.id);
    const interactive = typeof options.onSelect === "function";
    const g = s("g", {
      class: `node type-${typeColour(task.type)}`, transform: `translate(${round(cx - NODE_W / 2)},${round(cy - NODE_H / 2)})`,
      "data-task": task.id, "data-type": task.type,
      tabindex: interactive ? 0 : null, role: interactive ? "button" : null,
    });
    const title = s("title", {}, `${task.id} (${task.type}): takes ${task.input_type}, gives ${task.output_type}`);
    const idText = s("text", { class: "node-id", x: TEXT_X, y: 21 }, fit(task.id, NODE_FONTS.id, NODE_W - TEXT_X - TEXT_END));
    const statusText = s("text", { class: "node-status", x: NODE_W - TEXT_END, y: 21, "text-anchor": "end" });
    g.append(title,
      s("rect", { class: "node-box", width: NODE_W, height: NODE_H, rx: 8 }),
      s("rect", { class: "node-stripe", width: 6, height: NODE_H, rx: 3 }),
      idText,
      s("text", { class: "node-type", x: TEXT_X, y: 39 }, fit(task.type, NODE_FONTS.type, NODE_W - TEXT_X - TEXT_END)),
      statusText);
    if (interactive) {
      g.addEventListener("click", () => options.onSelect(task.id));
      g.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); options.onSelect(task.id); }
      });
    }
    nodes.set(task.id, { g, title, idText, statusText, task });
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
      // The status shares the id's line: in words when the whole id fits beside them, else as
      // its symbol alone (the colour and the legend say it too), the id cut to what is left.
      const room = (text) => NODE_W - TEXT_X - TEXT_END - textWidth(text, NODE_FONTS.status) - STATUS_GAP;
      const words = `${symbols[status] || ""} ${status}`.trim();
      const wordsFit = room(words) >= textWidth(id, NODE_FONTS.id) || !symbols[status];
      node.statusText.textContent = wordsFit ? words : symbols[status];
      node.idText.textContent = fit(id, NODE_FONTS.id, room(node.statusText.textContent));
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
