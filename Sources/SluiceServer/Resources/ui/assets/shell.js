// The shell of the web UI: the layout every page shares (header with the open-by-id box and the
// inbox's count, `main`, a live region for announcements), the client-side router, the person
// the inbox is for ("Acting as" while access is off), and the helpers pages use to say
// "loading", "not found" and "something went wrong". It imports no page: app.js hands it the
// route table, and the pages import it (so there is no import cycle).

import { h } from "./dom.js";
import { APIError, api, session, person, setActingAs, accountNameProblem } from "./api.js";

const main = h("main", { id: "main", tabindex: -1 });
const announcer = h("div", { id: "announcer", class: "visually-hidden", "aria-live": "polite" });

/** Says `text` to screen readers (the polite live region). */
export const announce = (text) => { announcer.textContent = ""; setTimeout(() => { announcer.textContent = text; }, 30); };

/** Below this width the pages stack their columns, draw graphs top to bottom and show tables as cards. */
export const isNarrow = () => window.matchMedia("(max-width: 720px)").matches;

function layout() {
  const gotoInput = h("input", {
    id: "goto-id", name: "id", type: "text", autocomplete: "off", spellcheck: "false",
    placeholder: "Paste an execution id (ex-…) or workflow id (wf-…)",
  });
  const gotoForm = h("form", { class: "goto", role: "search", "aria-label": "Open by id" },
    h("label", { for: "goto-id", class: "visually-hidden" }, "Execution or workflow id"),
    gotoInput, h("button", { type: "submit", id: "goto-button" }, "Open"));
  gotoForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const target = pathForID(gotoInput.value);
    if (!target) { gotoInput.setAttribute("aria-invalid", "true"); gotoInput.focus(); return; }
    gotoInput.removeAttribute("aria-invalid");
    gotoInput.value = "";
    navigate(target);
  });
  const header = h("header", { class: "top" },
    h("a", { class: "brand", href: "/ui" }, h("img", { src: "/ui/assets/icon.svg", alt: "", width: 22, height: 22 }), "Sluice"),
    h("nav", { "aria-label": "Main" },
      h("a", { href: "/ui", "data-nav": "workflows" }, "Workflows"),
      h("a", { href: "/ui/new", "data-nav": "new" }, "New workflow"),
      h("a", { href: "/ui/inbox", "data-nav": "inbox", id: "nav-inbox" }, "Inbox", inboxCount),
      h("a", { href: "/ui/annotation", "data-nav": "annotation", id: "nav-annotation" }, "Annotation"),
      h("a", { href: "/docs", "data-external": "true" }, "API")),
    gotoForm, accountBox);
  document.getElementById("app").replaceChildren(
    h("a", { class: "skip-link", href: "#main" }, "Skip to content"), header, main, announcer);
}

/** Where a pasted id (or a URL or path containing one) leads; null if it is not one. */
export function pathForID(text) {
  const value = (text || "").trim();
  const humanTask = /(?:^|\/)(ht-[A-Za-z0-9_-]+)\/?$/.exec(value);
  if (humanTask) return `/ui/inbox/${humanTask[1]}`;
  const execution = /(?:^|\/)(ex-[A-Za-z0-9_-]+)\/?$/.exec(value) || /^(ex-[A-Za-z0-9_-]+)$/.exec(value);
  if (execution) return `/ui/executions/${execution[1]}`;
  const inPath = /\/executions\/([^/?#\s]+)/.exec(value);
  if (inPath) return `/ui/executions/${inPath[1]}`;
  const workflow = /(?:^|\/)(wf-[A-Za-z0-9_-]+)\/?$/.exec(value);
  if (workflow) return `/ui/workflows/${workflow[1]}`;
  if (/^[A-Za-z0-9_-]+$/.test(value)) return `/ui/executions/${value}`; // let the page say it is unknown
  return null;
}

// ------------------------------------------------------------------------------------ router

/** `[pattern, page(page, ...captures), nav]`: set by startApp. */
let routes = [];
let leaving = [];
let generation = 0;

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState({}, "", path); else history.pushState({}, "", path);
  render();
}

/**
 * Draws the layout and the page the address names, and follows links and history from then on.
 * `routeTable` is a list of `[RegExp, page, nav]`: `page({main, alive, onLeave}, ...captures)`
 * draws into `main`; `alive()` turns false once another page was opened; `onLeave(fn)` runs `fn`
 * then (timers, streams). `nav` names the header link to mark as current.
 */
export async function startApp(routeTable) {
  routes = routeTable;
  layout();
  // A 401 anywhere (signed out elsewhere, the session expired): back to the sign-in page.
  window.addEventListener("sluice:signed-out", () => {
    if (session.auth !== "required" || signingIn) return;
    session.account = null;
    session.csrf = null;
    showAccount();
    render();
  });
  try {
    const me = await api.me();
    Object.assign(session, me, { csrf: me.csrf_token || null });
  } catch (error) {
    // 401: auth is on and this browser is not signed in.
    if (error.status === 401) Object.assign(session, { auth: "required", account: null });
  }
  showAccount();
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[href]");
    if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const url = new URL(link.href, location.href);
    if (url.origin !== location.origin || !url.pathname.startsWith("/ui") || link.target || link.dataset.external) return;
    if (link.getAttribute("href").startsWith("#")) return;
    event.preventDefault();
    if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
  });
  window.addEventListener("popstate", () => render());
  render();
}

async function render() {
  for (const fn of leaving) { try { fn(); } catch { /* a page's clean-up must not stop the next page */ } }
  leaving = [];
  const mine = ++generation;
  const page = {
    alive: () => mine === generation,
    onLeave: (fn) => leaving.push(fn),
    main,
  };
  main.replaceChildren();
  if (session.auth === "required" && !session.account) { showInboxCount(null); signInPage(); return; }
  let matched = null;
  for (const [pattern, fn, nav] of routes) {
    const m = pattern.exec(location.pathname);
    if (m) { matched = { fn, args: m.slice(1).map(decodeURIComponent), nav }; break; }
  }
  for (const a of document.querySelectorAll("nav a[data-nav]")) {
    if (matched && a.dataset.nav === matched.nav) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  }
  // Once per page opened (the inbox's pages keep it current themselves while they are open).
  if (!matched || matched.nav !== "inbox") refreshInboxCount();
  if (!matched) {
    document.title = "Not found · Sluice";
    main.append(h("h1", {}, "Page not found"),
      h("p", {}, `Nothing lives at ${location.pathname}. `, h("a", { href: "/ui" }, "See the workflows"), ", or paste an execution id in the box above."));
    return;
  }
  try {
    await matched.fn(page, ...matched.args);
  } catch (error) {
    if (!page.alive()) return;
    main.replaceChildren(errorState(error, () => render()));
  }
  if (page.alive() && document.activeElement === document.body) {
    const heading = main.querySelector("h1");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus({ preventScroll: true }); }
  }
}

// ------------------------------------------------------------------------------- sign-in

let signingIn = false;
const accountBox = h("div", { class: "account", id: "account" });

/** The header's account: who is signed in, and Sign out (only when the server checks access). */
function showAccount() {
  if (session.auth !== "required" || !session.account) { accountBox.replaceChildren(); return; }
  const out = h("button", { type: "button", class: "link-button", id: "sign-out" }, "Sign out");
  out.addEventListener("click", async () => {
    try { await api.signOut(); } catch { /* signed out either way */ }
    Object.assign(session, { account: null, grants: [], groups: [], csrf: null });
    showAccount();
    render();
  });
  accountBox.replaceChildren(h("span", { class: "muted", id: "account-name", title: rolesText() }, session.account.name), out);
}

const rolesText = () => session.grants.map((g) => `${g.role} in ${g.namespace === "*" ? "every namespace" : g.namespace}`).join(", ") || "no roles yet";

/** The sign-in page: a token (`sluice token create`, or the first admin's) is exchanged for a
 *  session cookie; the token itself is not kept by the browser. */
function signInPage() {
  document.title = "Sign in · Sluice";
  const input = h("input", { id: "sign-in-token", name: "token", type: "password", autocomplete: "current-password", spellcheck: "false", required: true, placeholder: "slc_…" });
  const error = h("p", { class: "error-text", id: "sign-in-error", role: "alert" });
  const form = h("form", { class: "card sign-in", id: "sign-in-form" },
    h("label", { for: "sign-in-token" }, "Token"), input,
    h("button", { type: "submit", id: "sign-in-button" }, "Sign in"), error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    signingIn = true;
    try {
      const answer = await api.signIn(input.value.trim());
      const me = await api.me();
      Object.assign(session, me, { csrf: answer.csrf_token });
      input.value = "";
      showAccount();
      render();
    } catch (e) {
      error.textContent = e.message;
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } finally {
      signingIn = false;
    }
  });
  main.replaceChildren(h("h1", {}, "Sign in"),
    h("p", {}, "This server needs a token. Ask an admin for one, or create your own with ", h("code", {}, "sluice token create NAME"), " once you are signed in on the command line."),
    form);
  input.focus();
}

// ------------------------------------------------------------------------- inbox and person

/** How many tasks the inbox lists at most, per list (the count says "100+" past it). */
export const INBOX_LIMIT = 100;
const inboxCount = h("span", { class: "nav-count", id: "inbox-count", hidden: true });
let countGeneration = 0;

/** Shows on the header's Inbox link how many tasks `answer` (GET /inbox) holds for the person:
 *  held and claimable; nothing when there are none or `answer` is null. */
export function showInboxCount(answer) {
  countGeneration++;
  drawInboxCount(answer);
}

function drawInboxCount(answer) {
  const n = answer ? answer.held.length + answer.claimable.length : 0;
  const more = answer && (answer.held.length >= INBOX_LIMIT || answer.claimable.length >= INBOX_LIMIT);
  inboxCount.hidden = n === 0;
  inboxCount.replaceChildren(`${n}${more ? "+" : ""}`, h("span", { class: "visually-hidden" }, n === 1 ? " task" : " tasks"));
}

/** Reads the person's inbox (one request) for the header's count. */
export async function refreshInboxCount() {
  const mine = ++countGeneration;
  if (!person()) { drawInboxCount(null); return; }
  let answer = null;
  try { answer = await api.inbox(INBOX_LIMIT); } catch { /* no count rather than a wrong one */ }
  if (mine === countGeneration) drawInboxCount(answer);
}

/**
 * Who the inbox is for, as a page shows it. With access checked: the signed-in account (a line of
 * text). Without: the "Acting as" field, kept in this browser; `onChange(name)` runs once another
 * valid name is chosen (Enter, or leaving the field), and is to redraw the page and the header's
 * count (showInboxCount, or refreshInboxCount).
 */
export function personControl(onChange) {
  if (session.auth === "required") {
    return h("p", { class: "muted person", id: "inbox-person" }, "Signed in as ", h("strong", {}, person() || "nobody"));
  }
  const input = h("input", { id: "acting-as", name: "account", type: "text", autocomplete: "off", spellcheck: "false",
    value: person(), "aria-describedby": "acting-as-hint acting-as-error" });
  const error = h("div", { class: "field-error", id: "acting-as-error", role: "alert", hidden: true });
  const form = h("form", { class: "acting-as", id: "acting-as-form", novalidate: true },
    h("label", { for: "acting-as" }, "Acting as"), input,
    h("button", { type: "submit", id: "acting-as-button" }, "Switch"),
    h("span", { class: "hint", id: "acting-as-hint" }, "Access is off, so the inbox is for whichever account you name here (kept in this browser)."),
    error);
  const apply = () => {
    const name = input.value.trim();
    const problem = accountNameProblem(name);
    error.hidden = !problem;
    error.textContent = problem || "";
    if (problem) { input.setAttribute("aria-invalid", "true"); return false; }
    input.removeAttribute("aria-invalid");
    if (name === person()) return true;
    setActingAs(name);
    announce(`Acting as ${name}`);
    onChange(name); // which redraws the header's count too
    return true;
  };
  form.addEventListener("submit", (event) => { event.preventDefault(); if (!apply()) input.focus(); });
  input.addEventListener("change", apply);
  return form;
}

// ---------------------------------------------------------------------------- page states

/** What went wrong and what to do next, with a Retry button. */
export function errorState(error, retry) {
  const unreachable = error instanceof APIError && error.status === 0;
  return h("div", { class: "state error-state", role: "alert" },
    h("h2", {}, unreachable ? "The server cannot be reached" : "Something went wrong"),
    h("p", {}, error.message || String(error)),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null);
}

export const loading = (text) => h("p", { class: "state loading", role: "status" }, text);

export function notFound(what, id, hint) {
  return h("div", { class: "state empty", role: "alert" },
    h("h1", {}, `${what} not found`),
    h("p", {}, `There is no ${what.toLowerCase()} `, h("code", {}, id), " on this server. ", hint));
}

/** `load()`'s answer, or null once a 404 was drawn as `notFound(what, id, hint)`; other errors
 *  are thrown (the router draws them with Try again). */
export async function loadOrNotFound(page, load, what, id, hint) {
  try {
    return await load();
  } catch (error) {
    if (!(error instanceof APIError && error.status === 404)) throw error;
    page.main.replaceChildren(notFound(what, id, hint));
    return null;
  }
}

/**
 * A table that becomes a list of cards on narrow screens: every cell but the first carries its
 * column's name (shown only as a card), so each field stays visible and labelled at 390 px
 * instead of being cut off or scrolled sideways. `columns` are the header texts; `rows` the
 * `<tr>`s, whose cells `labelled()` made.
 */
export function cardTable({ caption, columns, rows, attrs = {} }) {
  return h("div", { class: "table-scroll" }, h("table", { ...attrs, class: ["list", "cards", attrs.class] },
    h("caption", { class: "visually-hidden" }, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, rows)));
}

/** A table cell with its column's name, which only narrow screens show (as a card's label; there
 *  the table is laid out as blocks, so the label is what names the value, for screen readers too). */
export function labelled(label, attrs, ...content) {
  return h("td", { ...attrs, "data-label": label }, h("span", { class: "cell-label" }, label), content);
}
