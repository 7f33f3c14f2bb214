// The Sluice web UI: a single page over the public API. This module only wires the routes
// (client-side) to their pages and starts the shell:
//   /ui                      workflows, searchable                         workflows.js
//   /ui/new                  write a workflow (checked as you type)        editor.js
//   /ui/workflows/{id}       its graph, input form, its executions          workflow.js
//   /ui/workflows/{id}/edit  the editor on its latest version              editor.js
//   /ui/executions/{id}      live status, tasks, timeline, logs, actions    execution.js
//   /ui/inbox                the person's human tasks: held, claimable      inbox.js
//   /ui/inbox/{id}           one human task: instructions, input, answer    human-task.js
// shell.js holds the layout, the router and what the pages share; the pages import it, never
// this module or each other, so the modules import one another without a cycle.

import { startApp } from "./shell.js";
import { workflowsPage } from "./workflows.js";
import { workflowPage } from "./workflow.js";
import { executionPage } from "./execution.js";
import { newWorkflowPage, editWorkflowPage } from "./editor.js";
import { inboxPage } from "./inbox.js";
import { humanTaskPage } from "./human-task.js";

startApp([
  [/^\/ui\/?$/, workflowsPage, "workflows"],
  [/^\/ui\/new\/?$/, newWorkflowPage, "new"],
  [/^\/ui\/workflows\/([^/]+)\/?$/, workflowPage, "workflows"],
  [/^\/ui\/workflows\/([^/]+)\/edit\/?$/, editWorkflowPage, "workflows"],
  [/^\/ui\/executions\/([^/]+)\/?$/, executionPage, null],
  [/^\/ui\/inbox\/?$/, inboxPage, "inbox"],
  [/^\/ui\/inbox\/([^/]+)\/?$/, humanTaskPage, "inbox"],
]);
