// One clock for every live duration on the page. A duration that is still growing (a running
// execution or task) is drawn by `liveDuration()`, which marks its element; a single timer ticks
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
  for (const fn of listeners) {
    try { fn(last); } catch (error) { console.error(error); }
  }
  if (!live.length && !listeners.size) { clearInterval(timer); timer = null; }
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

/** Runs `fn(nowMillis)` on every tick; returns the function that stops it. */
export function onTick(fn) {
  listeners.add(fn);
  ensureRunning();
  return () => listeners.delete(fn);
}
