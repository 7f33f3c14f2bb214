// One clock for every live duration on the page. A duration that is still growing (a running
// execution or task, how long a human task has waited) is drawn by `liveDuration()`, and the time
// left until a due time by `liveCountdown()`; each marks its element, and a single timer ticks
// once a second and rewrites every marked element from the same instant, then runs what pages
// hooked onto the tick with `onTick()` (the timeline's bars). So the header, the task table and
// the timeline always agree, and nothing else on the page keeps a timer for durations. The timer
// stops while nothing on the page is live.

import { h, duration } from "./dom.js";

const listeners = new Set();
let timer = null;
let last = Date.now();

/** The instant of the last tick (what every live duration on the page is measured to). */
export function now() {
  return timer === null ? Date.now() : last;
}

function ensureRunning() {
  if (timer !== null) return;
  last = Date.now();
  timer = setInterval(tick, 1000);
}

function tick() {
  last = Date.now();
  const live = document.querySelectorAll("[data-live-since]");
  for (const el of live) el.textContent = duration(last - Date.parse(el.dataset.liveSince));
  const countdowns = document.querySelectorAll("[data-live-until]");
  for (const el of countdowns) drawCountdown(el, last);
  for (const fn of listeners) {
    try { fn(last); } catch (error) { console.error(error); }
  }
  if (!live.length && !countdowns.length && !listeners.size) { clearInterval(timer); timer = null; }
}

/** With this little time left, a due time is "soon" (and marked so). */
export const DUE_SOON_MS = 15 * 60 * 1000;

function drawCountdown(el, nowMillis) {
  const left = Number(el.dataset.liveUntil) - nowMillis;
  const state = left < 0 ? "overdue" : left <= DUE_SOON_MS ? "soon" : "later";
  el.textContent = left < 0 ? `overdue by ${duration(-left)}` : `in ${duration(left)}${state === "soon" ? " (soon)" : ""}`;
  el.dataset.due = state;
}

/**
 * A duration from `startISO` to `endISO`, or, without an end, to now, kept current by the clock.
 * "—" without a start.
 */
export function liveDuration(startISO, endISO, attrs = {}) {
  if (!startISO) return h("span", attrs, "—");
  if (endISO) return h("span", attrs, duration(Date.parse(endISO) - Date.parse(startISO)));
  ensureRunning();
  return h("span", { ...attrs, "data-live-since": startISO }, duration(now() - Date.parse(startISO)));
}

/**
 * The time left until `untilMillis` (the browser's clock), kept current by the clock: "in 2 h
 * 5 min", "in 9 min 12 s (soon)", "overdue by 40 s"; `data-due` on the element says "later",
 * "soon" (DUE_SOON_MS or less) or "overdue", for the styles.
 */
export function liveCountdown(untilMillis, attrs = {}) {
  ensureRunning();
  const el = h("span", { ...attrs, class: ["countdown", attrs.class], "data-live-until": String(untilMillis) });
  drawCountdown(el, now());
  return el;
}

/** Runs `fn(nowMillis)` on every tick; returns the function that stops it. */
export function onTick(fn) {
  listeners.add(fn);
  ensureRunning();
  return () => listeners.delete(fn);
}
