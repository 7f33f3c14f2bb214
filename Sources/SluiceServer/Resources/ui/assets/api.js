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

export async function request(method, path, body, { headers = {}, signal } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, signal };
  if (body !== undefined) {
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
  stepTypes: () => request("GET", "/step-types"),
  listWorkflows: (cursor, limit = 500) => request("GET", `/workflows${query({ limit, cursor })}`),
  getWorkflow: (id, version) => request("GET", `/workflows/${enc(id)}${query({ version })}`),
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
