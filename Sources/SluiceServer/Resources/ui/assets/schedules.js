// The Schedules card of a workflow's page: its schedules with their next fire times, pause,
// resume and delete, what each fire time did (with links to the executions it started), and a
// form that creates one (cron expression in a time zone, or an interval). Problems the server
// finds are shown next to the field they name.

import { h, time } from "./dom.js";
import { api, may, APIError } from "./api.js";
import { fieldError, ProblemBoard } from "./problems.js";
import { announce, cardTable, labelled, errorState, loading } from "./shell.js";

const OVERLAPS = [["skip", "Skip it"], ["queue_one", "Queue one"], ["allow", "Start anyway"]];

/** When a schedule fires, in words. */
export function whenText(s) {
  if (s.cron !== undefined) return `${s.cron} (${s.time_zone})`;
  const n = s.interval_seconds;
  const units = [[86400, "day"], [3600, "hour"], [60, "minute"]].find(([u]) => n % u === 0);
  if (!units) return `every ${n} s`;
  const k = n / units[0];
  return k === 1 ? `every ${units[1]}` : `every ${k} ${units[1]}s`;
}

/** The card: a section element filled now and after every change. */
export function schedulesCard(page, workflow, namespace) {
  const id = workflow.workflow_id;
  const editable = may("edit", namespace);
  const body = h("div", {}, loading("Loading schedules…"));
  const section = h("section", { class: "card", id: "schedules", "aria-labelledby": "schedules-heading" },
    h("h2", { id: "schedules-heading" }, "Schedules",
      h("span", { class: "muted small" }, " start this workflow by cron expression or interval")),
    body);

  const load = async () => {
    try {
      const { schedules } = await api.listSchedules(id);
      if (!page.alive()) return;
      draw(schedules);
    } catch (error) {
      if (page.alive()) body.replaceChildren(errorState(error, load));
    }
  };

  const act = async (button, work, done) => {
    button.disabled = true;
    try {
      await work();
      announce(done);
      await load();
    } catch (error) {
      button.disabled = false;
      body.prepend(h("p", { class: "form-error", role: "alert" }, error.message));
    }
  };

  const draw = (schedules) => {
    const list = schedules.length === 0
      ? h("p", { class: "state empty", id: "no-schedules" }, editable ? "No schedules yet. Create one below, or with `sluice schedule create`." : "No schedules.")
      : cardTable({
        caption: "Schedules, oldest first", columns: ["When", "Next fire time", "Overlap", "Last fire", ""], attrs: { id: "schedule-list" },
        rows: schedules.map((s) => h("tr", { "data-schedule": s.schedule_id },
          h("td", { class: "card-title" }, h("div", { class: "mono" }, whenText(s)), h("div", { class: "muted small mono" }, s.schedule_id)),
          labelled("Next fire time", { class: "next-fire" }, s.paused ? h("span", { class: "pill" }, "paused") : s.next_fire_times.length ? time(s.next_fire_times[0]) : "none ahead"),
          labelled("Overlap", {}, s.overlap.replace("_", " ")),
          labelled("Last fire", {},
            s.last_fire_time ? time(s.last_fire_time) : h("span", { class: "muted" }, "not yet"),
            s.last_error ? h("div", { class: "field-error last-error" }, s.last_error) : null,
            fireHistory(s)),
          h("td", {}, editable ? h("div", { class: "actions" }, [
            h("button", {
              type: "button", class: "pause-resume", onclick: (e) =>
                act(e.currentTarget, () => api.updateSchedule(id, s.schedule_id, { paused: !s.paused }, s.revision), s.paused ? "Schedule resumed" : "Schedule paused"),
            }, s.paused ? "Resume" : "Pause"),
            h("button", {
              type: "button", class: "delete-schedule danger", onclick: (e) => {
                if (confirm(`Delete the schedule ${whenText(s)}? The executions it started stay.`)) act(e.currentTarget, () => api.deleteSchedule(id, s.schedule_id), "Schedule deleted");
              },
            }, "Delete"),
          ]) : null))),
      });
    // The form folded away once there are schedules; open while there are none.
    const form = editable ? h("details", { class: "new-schedule", open: schedules.length === 0 || undefined },
      h("summary", {}, "New schedule"), createForm(id, load)) : null;
    body.replaceChildren(list, form);
  };

  load();
  return section;
}

/** What the schedule's last fire times did, read when opened. */
function fireHistory(s) {
  const list = h("ol", { class: "fires" });
  const details = h("details", { class: "fire-history" }, h("summary", { class: "small" }, "History"), list);
  details.addEventListener("toggle", async () => {
    if (!details.open || list.dataset.loaded) return;
    list.replaceChildren(h("li", { class: "muted" }, "Loading…"));
    try {
      const { fires } = await api.listScheduleFires(s.workflow_id, s.schedule_id);
      list.dataset.loaded = "1";
      list.replaceChildren(...(fires.length ? fires.map((f) => h("li", { "data-outcome": f.outcome },
        time(f.fire_time), " ", h("span", { class: "pill" }, f.outcome), " ",
        f.execution_id ? h("a", { class: "mono", href: `/ui/executions/${encodeURIComponent(f.execution_id)}` }, f.execution_id) : null,
        f.reason ? h("span", { class: "muted small" }, ` ${f.reason}`) : null)) : [h("li", { class: "muted" }, "No fire time has come yet.")]));
    } catch (error) {
      list.replaceChildren(h("li", { class: "form-error" }, error.message));
    }
  });
  return details;
}

function createForm(workflowID, reload) {
  const field = (fid, label, control, hint) => {
    const error = fieldError(`${fid}-error`, control);
    return { error, wrapper: h("div", { class: "field" }, h("label", { for: fid }, h("span", { class: "field-name" }, label)), control, hint ? h("div", { class: "hint" }, hint) : null, error.el) };
  };
  const kind = h("select", { id: "schedule-kind" }, h("option", { value: "cron" }, "Cron expression"), h("option", { value: "interval" }, "Interval"));
  const cron = h("input", { id: "schedule-cron", type: "text", class: "mono", autocomplete: "off", spellcheck: "false", placeholder: "0 9 * * MON-FRI" });
  const interval = h("input", { id: "schedule-interval", type: "number", min: "1", step: "1", placeholder: "900" });
  const localZone = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; } catch { return "UTC"; } })();
  const zone = h("input", { id: "schedule-time-zone", type: "text", autocomplete: "off", spellcheck: "false", value: localZone });
  const overlap = h("select", { id: "schedule-overlap" }, OVERLAPS.map(([v, text]) => h("option", { value: v }, text)));
  const input = h("textarea", { id: "schedule-input", class: "mono", rows: 3, spellcheck: "false" }, "{}");
  const formError = fieldError("schedule-form-error");
  formError.el.className = "form-error";
  const board = new ProblemBoard(formError);
  const f = {
    cron: field("schedule-cron", "Cron expression", cron, "minute hour day-of-month month day-of-week (a seconds field first is allowed); @daily, @hourly…"),
    interval: field("schedule-interval", "Every (seconds)", interval),
    zone: field("schedule-time-zone", "Time zone", zone, "An IANA name; the cron fields are read in it."),
    overlap: field("schedule-overlap", "While its last execution still runs", overlap),
    input: field("schedule-input", "Input", input, "The input of every execution it starts (JSON)."),
  };
  board.add("cron", f.cron.error);
  board.add("interval_seconds", f.interval.error);
  board.add("time_zone", f.zone.error);
  board.add("overlap", f.overlap.error);
  board.add("input", f.input.error);
  const showKind = () => {
    const isCron = kind.value === "cron";
    f.cron.wrapper.hidden = !isCron;
    f.zone.wrapper.hidden = !isCron;
    f.interval.wrapper.hidden = isCron;
  };
  kind.addEventListener("change", showKind);
  showKind();
  const submit = h("button", { type: "submit", class: "primary", id: "schedule-create" }, "Create schedule");
  const form = h("form", { id: "schedule-form", novalidate: true },
    h("div", { class: "two-columns" },
      h("div", {},
        h("div", { class: "field" }, h("label", { for: "schedule-kind" }, h("span", { class: "field-name" }, "Fires by")), kind),
        f.cron.wrapper, f.interval.wrapper, f.zone.wrapper),
      h("div", {}, f.overlap.wrapper, f.input.wrapper)),
    formError.el, submit);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    board.clear();
    const body = { overlap: overlap.value };
    if (kind.value === "cron") {
      body.cron = cron.value.trim();
      body.time_zone = zone.value.trim() || "UTC";
    } else {
      const n = Number(interval.value);
      if (!interval.value || !Number.isInteger(n) || n < 1) { board.show([{ path: "interval_seconds", message: "a whole number of seconds, at least 1" }]); return; }
      body.interval_seconds = n;
    }
    try {
      body.input = JSON.parse(input.value || "{}");
    } catch (error) {
      board.show([{ path: "input", message: `not JSON: ${error.message}` }]);
      return;
    }
    submit.disabled = true;
    try {
      await api.createSchedule(workflowID, body);
      announce("Schedule created");
      await reload();
    } catch (error) {
      submit.disabled = false;
      const problems = error instanceof APIError ? error.errors : [];
      if (problems.length) board.show(problems); else board.show([{ path: "", message: error.message }]);
    }
  });
  return form;
}
