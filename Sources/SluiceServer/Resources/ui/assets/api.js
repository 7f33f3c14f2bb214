// The public HTTP API, as the UI uses it (the same endpoints as the CLI and the Swift client).

/** A failed request: `status` 0 when the server could not be reached; `problem` is the RFC 9457
 *  body (with `errors[]` on a 400) when the server sent one. */
export class APIError extends Error {
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
  get errors() { return (this.problem && Array.isArray(this.problem.errors)) ? this.problem.errors : []; }
}

const enc = encodeURIComponent;

/** A workflow document as text, sent as it is: `format` is "json" or "yaml". The server reads
 *  YAML as the CLI does, and its problems then carry the line and column in this text. */
export class Source {
  constructor(text, format) {
    this.text = text;
    this.format = format;
  }
}

/** The browser's sign-in, when the server checks access: the session itself is an HttpOnly
 *  cookie the browser sends by itself; the CSRF token (from the sign-in or `GET /me`) goes with
 *  every request that changes something. */
export const session = { auth: "off", account: null, grants: [], groups: [], csrf: null };

/** What each role allows, as the server's access model says (docs/operating.md, "Accounts and access"). */
const ROLE_PERMISSIONS = {
  admin: ["read", "run", "control", "edit", "work", "administer"],
  editor: ["read", "run", "control", "edit"],
  runner: ["read", "run"],
  viewer: ["read"],
  worker: ["work"],
};

/** Whether the signed-in account may do `permission` in `namespace` (always, with auth off).
 *  Only to hide what would be refused: the server checks every request itself. */
export function may(permission, namespace) {
  if (session.auth !== "required") return true;
  return session.grants.some((g) => (g.namespace === "*" || g.namespace === namespace) && (ROLE_PERMISSIONS[g.role] || []).includes(permission));
}

/** Whether the signed-in account may work on the tasks of `queue` in `namespace` (human tasks
 *  are queue `@human`): a worker grant that names its queues covers only those. */
export function mayWork(namespace, queue = "@human") {
  if (session.auth !== "required") return true;
  return session.grants.some((g) => (g.namespace === "*" || g.namespace === namespace) && (ROLE_PERMISSIONS[g.role] || []).includes("work")
    && (!g.queues || g.queues.includes(queue)));
}

/** Whether `person` may claim `task`: one of its assignees, a member of an assigned group
 *  (`group:NAME`; the signed-in account's groups come with `GET /me`), or anyone when none.
 *  With access off the person acting is only a name, whose groups the UI does not know: a task
 *  assigned to a group is offered, and the server says if they are not a member. */
export function isAssigned(task, person) {
  if (task.assignees.length === 0 || task.assignees.includes(person)) return true;
  const groups = task.assignees.filter((a) => a.startsWith("group:"));
  if (session.auth !== "required") return groups.length > 0;
  return (session.groups || []).some((g) => groups.includes(`group:${g}`));
}

/** Whether the signed-in account may do `permission` in some namespace (always, with auth off). */
export function mayAnywhere(permission) {
  if (session.auth !== "required") return true;
  return session.grants.some((g) => (ROLE_PERMISSIONS[g.role] || []).includes(permission));
}

const ACTING_AS_KEY = "sluice.acting-as";

/** Why `name` is not an account name the server accepts (AccountName in SluiceCore), or null. */
export function accountNameProblem(name) {
  if (!name) return "an account name cannot be empty";
  if (name.length > 64) return `an account name has at most 64 characters; this one has ${name.length}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(name)) return `“${name}” is not a valid account name; expected letters, digits, “.”, “_”, “@” and “-”, starting with a letter or digit`;
  return null;
}

/** The person whose inbox the UI shows, as human-task calls name them: the signed-in account
 *  when the server checks access; without, the name chosen under "Acting as" (kept in this
 *  browser's localStorage), `anonymous` until one is chosen. */
export function person() {
  if (session.auth === "required") return session.account ? session.account.name : null;
  let stored = null;
  try { stored = localStorage.getItem(ACTING_AS_KEY); } catch { /* storage off: anonymous */ }
  return stored && !accountNameProblem(stored) ? stored : "anonymous";
}

/** Chooses who the UI acts as while access is off ("Acting as"). */
export function setActingAs(name) {
  try {
    if (!name || name === "anonymous") localStorage.removeItem(ACTING_AS_KEY); else localStorage.setItem(ACTING_AS_KEY, name);
  } catch { /* storage off: for this page only */ }
}

/** `{account}` for a human-task call: with access checked the server takes the signed-in account
 *  (naming it is allowed, naming another refused), so it is left out there. */
const asPerson = (body = {}) => (session.auth === "required" ? body : { ...body, account: person() });

/** A human task's times on the browser's clock, from an answer received at `receivedAt`
 *  (Date.now() then): when it started waiting (an ISO time, for liveDuration) and when it is due
 *  (milliseconds, or null). Both come from the server's own `waiting_seconds` and the distance of
 *  `due_at` from `created_at`, so a browser clock that is off does not move them. */
export function humanTaskTimes(task, receivedAt) {
  const since = receivedAt - task.waiting_seconds * 1000;
  const due = task.due_at ? since + (Date.parse(task.due_at) - Date.parse(task.created_at)) : null;
  return { waitingSince: new Date(since).toISOString(), dueMillis: due };
}

/** The namespace of a workflow as the API shows it (a version's definition names it, or not). */
export const namespaceOf = (workflow) => (workflow && (workflow.namespace || (workflow.definition && workflow.definition.namespace))) || "default";

/** One request. `body` is sent as JSON, or, when it is a `Source` (`{text, format}`), as its text
 *  with the content type of its format (`application/json` or `application/yaml`). A `401`
 *  (signed out, or the session expired) also tells the shell, which shows the sign-in page. */
export async function request(method, path, body, { headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal, credentials: "same-origin" };
  if (session.csrf && method !== "GET" && method !== "HEAD") init.headers["X-Sluice-CSRF"] = session.csrf;
  if (body instanceof Source) {
    init.headers["Content-Type"] = body.format === "yaml" ? "application/yaml" : "application/json";
    init.body = body.text;
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new APIError(0, null, `Could not reach the Sluice server (${error.message}). Check that it is running, then try again.`);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    if (response.status === 401 && path !== "/session") window.dispatchEvent(new CustomEvent("sluice:signed-out"));
    const detail = data && (data.detail || data.title);
    throw new APIError(response.status, data, detail || `${method} ${path} answered ${response.status} ${response.statusText}`);
  }
  return data;
}

function query(params) {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => `${enc(k)}=${enc(v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export const api = {
  me: () => request("GET", "/me"),
  signIn: (token) => request("POST", "/session", { token }),
  signOut: () => request("DELETE", "/session"),
  stepTypes: () => request("GET", "/step-types"),
  listWorkflows: (cursor, limit = 500) => request("GET", `/workflows${query({ limit, cursor })}`),
  getWorkflow: (id, version) => request("GET", `/workflows/${enc(id)}${query({ version })}`),
  /** `definition`: an object (sent as JSON) or a `Source` (its text, JSON or YAML). */
  validateWorkflow: (definition) => request("POST", "/workflows/validate", definition),
  createWorkflow: (definition) => request("POST", "/workflows", definition),
  /** Stores a new version; `ifVersion` is the version the edit started from (`412` if another
   *  one was stored meanwhile). */
  updateWorkflow: (id, definition, ifVersion) =>
    request("PUT", `/workflows/${enc(id)}`, definition, { headers: { "If-Match": `"${ifVersion}"` } }),
  execute: (workflowID, body) => request("POST", `/workflows/${enc(workflowID)}/execute`, body),
  listExecutions: (workflowID, { status, cursor, limit = 20 } = {}) =>
    request("GET", `/workflows/${enc(workflowID)}/executions${query({ status, cursor, limit })}`),
  getExecution: (executionID) => request("GET", `/executions/${enc(executionID)}`),
  cancel: (workflowID, executionID) =>
    request("POST", `/workflows/${enc(workflowID)}/executions/${enc(executionID)}/cancel`),
  retry: (workflowID, executionID) =>
    request("POST", `/workflows/${enc(workflowID)}/executions/${enc(executionID)}/retry`, {}),
  rerun: (workflowID, executionID) =>
    request("POST", `/workflows/${enc(workflowID)}/executions/${enc(executionID)}/rerun`, {}),
  taskLogs: (workflowID, executionID, taskID, after) =>
    request("GET", `/workflows/${enc(workflowID)}/executions/${enc(executionID)}/tasks/${enc(taskID)}/logs${query({ after, limit: 500 })}`),
  executionEventsURL: (workflowID, executionID, after) =>
    `/workflows/${enc(workflowID)}/executions/${enc(executionID)}/events${query({ after })}`,
  listSchedules: (workflowID) => request("GET", `/workflows/${enc(workflowID)}/schedules`),
  createSchedule: (workflowID, body) => request("POST", `/workflows/${enc(workflowID)}/schedules`, body),
  /** Changes the members `changes` names; `ifRevision`: only if nobody changed it since (`412`). */
  updateSchedule: (workflowID, scheduleID, changes, ifRevision) =>
    request("PATCH", `/workflows/${enc(workflowID)}/schedules/${enc(scheduleID)}`, changes, { headers: ifRevision ? { "If-Match": `"${ifRevision}"` } : {} }),
  deleteSchedule: (workflowID, scheduleID) => request("DELETE", `/workflows/${enc(workflowID)}/schedules/${enc(scheduleID)}`),
  listScheduleFires: (workflowID, scheduleID, limit = 20) =>
    request("GET", `/workflows/${enc(workflowID)}/schedules/${enc(scheduleID)}/fires${query({ limit })}`),
  /** `{account, held, claimable}`: the tasks person() holds and those they may claim. */
  inbox: (limit = 100) => request("GET", `/inbox${query({ account: session.auth === "required" ? undefined : person(), limit })}`),
  /** Every open human task the caller may read (an editor's view, to find one to reassign). */
  listHumanTasks: (limit = 100) => request("GET", `/human-tasks${query({ limit })}`),
  getHumanTask: (id) => request("GET", `/human-tasks/${enc(id)}`),
  claimHumanTask: (id) => request("POST", `/human-tasks/${enc(id)}/claim`, asPerson()),
  releaseHumanTask: (id) => request("POST", `/human-tasks/${enc(id)}/release`, asPerson()),
  /** The answer, checked against the task's form (a 400 names `answer.<field>`). */
  completeHumanTask: (id, answer) => request("POST", `/human-tasks/${enc(id)}/complete`, asPerson({ answer })),
  /** An editor's: gives the task to `account`, or (null) back to the inbox. */
  reassignHumanTask: (id, account) => request("POST", `/human-tasks/${enc(id)}/reassign`, { account }),
};

/** Every workflow: follows `next_cursor` (500 per page) up to `maxPages` pages. */
export async function allWorkflows(maxPages = 40) {
  const workflows = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const answer = await api.listWorkflows(cursor);
    workflows.push(...answer.workflows);
    cursor = answer.next_cursor;
    if (!cursor) return { workflows, complete: true };
  }
  return { workflows, complete: false };
}

const workflowCache = new Map(); // `${id}@${version}` → promise of the workflow (versions never change)

/** A workflow version, fetched once per page load (a stored version never changes). */
export function cachedWorkflow(id, version) {
  const key = `${id}@${version}`;
  if (!workflowCache.has(key)) {
    const promise = api.getWorkflow(id, version);
    promise.catch(() => workflowCache.delete(key));
    workflowCache.set(key, promise);
  }
  return workflowCache.get(key);
}

/** Keeps a workflow just read whole (its latest version) for cachedWorkflow. */
export function rememberWorkflow(workflow) {
  workflowCache.set(`${workflow.workflow_id}@${workflow.version}`, Promise.resolve(workflow));
}
