// Small DOM helpers shared by the pages: element builders, times, durations, JSON.

const SVG_NS = "http://www.w3.org/2000/svg";

function append(parent, child) {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) { for (const c of child) append(parent, c); return; }
  parent.append(child instanceof Node ? child : String(child));
}

function setAttributes(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in el) el.value = value;
    else if (key === "checked" || key === "disabled" || key === "selected") el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

/** `h("a", {href: "/ui", class: "x"}, "text", child…)`: an HTML element. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

/** Replaces `el`'s children with `children`, taken as h() takes them (arrays flattened; null,
 *  undefined and false left out), which the DOM's replaceChildren would write out as text. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** A `<time>` showing an RFC 3339 instant in the browser's zone, its UTC value on hover. */
export function time(iso) {
  if (!iso) return h("span", { class: "muted" }, "—");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h("span", {}, iso);
  return h("time", { datetime: iso, title: `${date.toISOString()} (UTC)` }, dateTime.format(date));
}

/** "850 ms", "12.3 s", "4 min 5 s", "2 h 3 min". */
export function duration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 0) ms = 0;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes - hours * 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Milliseconds from `startISO` to `endISO` (or to now while it runs); null without a start. */
export function elapsed(startISO, endISO) {
  if (!startISO) return null;
  const end = endISO ? Date.parse(endISO) : Date.now();
  return end - Date.parse(startISO);
}

/** Pretty JSON in a `<pre>`. */
export function jsonBlock(value, attrs = {}) {
  return h("pre", { class: "json", ...attrs }, JSON.stringify(value, null, 2));
}

/** A status badge: the status as text (never colour alone). */
export function badge(status) {
  return h("span", { class: `badge status-${String(status).toLowerCase()}`, "data-status": status }, status);
}

export const FINISHED_EXECUTION = new Set(["COMPLETED", "FAILED", "CANCELLED"]);
export const FINISHED_TASK = new Set(["COMPLETED", "FAILED", "SKIPPED", "CANCELLED"]);

/** Colour slot (0–9) of a step type: families share a colour, others are hashed. */
export function typeColour(type) {
  const families = [
    ["StaticTextInput", 0], ["TextOperation.", 1], ["NumberOperation.", 2], ["JSON.", 3],
    ["Echo", 4], ["Delay", 5], ["Fail", 6], ["HTTP.", 7], ["Process", 8], ["Workflow.", 9],
  ];
  for (const [prefix, slot] of families) if (type === prefix || type.startsWith(prefix)) return slot;
  let hash = 0;
  for (const c of type) hash = (hash * 31 + c.codePointAt(0)) >>> 0;
  return hash % 10;
}

/** Calls `fn` at most once per `ms`, the last call winning. */
export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Text with every execution id (`ex-…`, as a `Workflow.Run` task's log names its child) as a
 *  link to its page. */
export function linkIDs(text) {
  const parts = String(text).split(/\b(ex-[A-Za-z0-9]{4,})\b/);
  return parts.map((part, i) => i % 2 ? h("a", { href: `/ui/executions/${part}`, class: "mono" }, part) : part);
}
