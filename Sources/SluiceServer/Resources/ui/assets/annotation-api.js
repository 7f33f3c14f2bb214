// The annotation API (`/annotation/…`) as the annotation pages use it: every answer comes in an
// envelope (`{"code", "message", "data", "date", "requestId", "success"}`), of which the pages
// want `data`; a refusal's `problems` (each with its `path`, `workflow.pools[1].workers[0]`) become
// the APIError's `errors`, as the rest of the API's problems are. Also the names of pool types and
// run modes, which the pages share.

import { APIError, request, session, person } from "./api.js";

const enc = encodeURIComponent;

/** `data` of the envelope; a refusal is thrown as an APIError whose `errors` are its problems. */
async function call(method, path, body) {
  try {
    const envelope = await request(method, path, body);
    return envelope ? envelope.data : null;
  } catch (error) {
    const problems = error instanceof APIError && error.problem && Array.isArray(error.problem.problems) ? error.problem.problems : null;
    if (!problems) throw error;
    const text = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join("; ");
    throw new APIError(error.status, { ...error.problem, errors: problems }, text || error.problem.message || error.message);
  }
}

function query(params) {
  const parts = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "").map(([k, v]) => `${enc(k)}=${enc(v)}`);
  return parts.length ? `?${parts.join("&")}` : "";
}

export const annotation = {
  listProjects: (cursor, limit = 100) => call("GET", `/annotation/project/list${query({ limit, cursor })}`),
  getProject: (id) => call("GET", `/annotation/project/get${query({ projectId: id })}`),
  createProject: (body) => call("POST", "/annotation/project/create", body),
  listWorkflows: (projectId) => call("GET", `/annotation/workflow/list${query({ projectId })}`),
  getWorkflow: (id) => call("GET", `/annotation/workflow/get${query({ workflowId: id })}`),
  createWorkflow: (projectId, pools) => call("POST", "/annotation/workflow/create", { projectId, workflow: { pools } }),
  /** An edit of the pools made on `version`; `moveItems` (removed pool → pool) only when it names one. */
  updateWorkflow: (workflowId, pools, version, moveItems) => call("POST", "/annotation/workflow/update",
    moveItems && Object.keys(moveItems).length ? { workflowId, workflow: { pools }, moveItems, version } : { workflowId, workflow: { pools }, version }),
  progress: (id) => call("GET", `/annotation/workflow/progress${query({ workflowId: id })}`),
  listAlgorithms: (namespace) => call("GET", `/annotation/algorithm/list${query({ namespace })}`),
  getItem: (id) => call("GET", `/annotation/item/get${query({ itemId: id })}`),
  listItems: (workflowId, limit = 100) => call("GET", `/annotation/item/list${query({ workflowId, limit })}`),
  upload: (workflowId, items) => call("POST", "/annotation/item/upload", { workflowId, items }),
  exportURL: (workflowId, format = "jsonl") => `/annotation/item/export${query({ workflowId, format })}`,
  /** The person's next item in pool `pool` (one they hold, else one waiting): its human task, or null. */
  takeNext: (workflowId, pool) => call("POST", "/annotation/task/next",
    session.auth === "required" ? { workflowId, pool } : { workflowId, pool, account: person() }),
};

/** Pool types by number, as the API numbers them. */
export const POOL_TYPES = ["distribution", "labeling", "inspection", "spot check", "algorithm", "completion"];
export const RUN_MODES = ["pull", "push"];

/** Whether people work in pools of `type` (labeling, inspection, spot check). */
export const isHumanPool = (type) => type === 1 || type === 2 || type === 3;

/** Whether people review in pools of `type` (inspection, spot check). */
export const isReviewPool = (type) => type === 2 || type === 3;

/** The page of a pool's queue. */
export const queuePath = (workflowId, pool) => `/ui/annotation/workflows/${enc(workflowId)}/pools/${enc(pool)}`;

/** "choice: cat, dog" */
export function labelConfigText(config) {
  if (!config) return "—";
  if (config.labels && config.labels.length) return `${config.kind}: ${config.labels.join(", ")}`;
  return config.kind;
}

/** The envelope's `yyyy-MM-dd HH:mm:ss` (UTC) as RFC 3339, for dom.js's time(); null without one. */
export const isoOf = (date) => (date ? `${date.replace(" ", "T")}Z` : null);
