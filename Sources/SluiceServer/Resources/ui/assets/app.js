// The Sluice web UI: a single page over the public API. This module only wires the routes
// (client-side) to their pages and starts the shell:
//   /ui                      workflows, searchable                         workflows.js
//   /ui/new                  write a workflow (checked as you type)        editor.js
//   /ui/workflows/{id}       its graph, input form, its executions          workflow.js
//   /ui/workflows/{id}/edit  the editor on its latest version              editor.js
//   /ui/executions/{id}      live status, tasks, timeline, logs, actions    execution.js
//   /ui/inbox                the person's human tasks: held, claimable      inbox.js
//   /ui/inbox/{id}           one human task: instructions, input, answer    human-task.js
//   /ui/annotation           annotation projects; create one                annotation-projects.js
//   /ui/annotation/projects/{id}       its workflows as rows of pools       annotation-project.js
//   /ui/annotation/projects/{id}/new   the pipeline editor                  pipeline-editor.js
//   /ui/annotation/workflows/{id}      stages, live progress, items, upload annotation-workflow.js
//   /ui/annotation/workflows/{id}/edit the pipeline editor on its pools     pipeline-editor.js
//   /ui/annotation/workflows/{id}/pools/{n}  a worker's queue: take, label, review  annotation-queue.js
//   /ui/annotation/items/{id}          one item: data, annotation, history  annotation-item.js
// shell.js holds the layout, the router and what the pages share; the pages import it, never
// this module or each other, so the modules import one another without a cycle.

import { startApp } from "./shell.js";
import { workflowsPage } from "./workflows.js";
import { workflowPage } from "./workflow.js";
import { executionPage } from "./execution.js";
import { newWorkflowPage, editWorkflowPage } from "./editor.js";
import { inboxPage } from "./inbox.js";
import { humanTaskPage } from "./human-task.js";
import { annotationProjectsPage } from "./annotation-projects.js";
import { annotationProjectPage } from "./annotation-project.js";
import { pipelineEditorPage, pipelineEditPage } from "./pipeline-editor.js";
import { annotationWorkflowPage } from "./annotation-workflow.js";
import { queuePage } from "./annotation-queue.js";
import { annotationItemPage } from "./annotation-item.js";

startApp([
  [/^\/ui\/?$/, workflowsPage, "workflows"],
  [/^\/ui\/new\/?$/, newWorkflowPage, "new"],
  [/^\/ui\/workflows\/([^/]+)\/?$/, workflowPage, "workflows"],
  [/^\/ui\/workflows\/([^/]+)\/edit\/?$/, editWorkflowPage, "workflows"],
  [/^\/ui\/executions\/([^/]+)\/?$/, executionPage, null],
  [/^\/ui\/inbox\/?$/, inboxPage, "inbox"],
  [/^\/ui\/inbox\/([^/]+)\/?$/, humanTaskPage, "inbox"],
  [/^\/ui\/annotation\/?$/, annotationProjectsPage, "annotation"],
  [/^\/ui\/annotation\/projects\/(\d+)\/?$/, annotationProjectPage, "annotation"],
  [/^\/ui\/annotation\/projects\/(\d+)\/new\/?$/, pipelineEditorPage, "annotation"],
  [/^\/ui\/annotation\/workflows\/(\d+)\/?$/, annotationWorkflowPage, "annotation"],
  [/^\/ui\/annotation\/workflows\/(\d+)\/edit\/?$/, pipelineEditPage, "annotation"],
  [/^\/ui\/annotation\/workflows\/(\d+)\/pools\/(\d+)\/?$/, queuePage, "annotation"],
  [/^\/ui\/annotation\/items\/(\d+)\/?$/, annotationItemPage, "annotation"],
]);
