import HTTPTypes
import SluiceCore

/// What a route asks of its caller when auth is on. Every route has one: registering a route
/// without a rule stops the server at start-up (`RecordingRouter`), and a test walks
/// `openapi.yaml` against this table.
enum AccessRule: Sendable, Hashable {
    /// Anyone, without a token: health, the contract and its docs page, the web UI's files (the
    /// data they show comes from the API, which is checked).
    case open
    /// Any signed-in account; the handler decides the rest (its own tokens, validation).
    case signedIn
    /// `permission` in the namespace of the workflow the path names (`{workflow_id}`, or the
    /// workflow of `{execution_id}`). Outside the caller's namespaces the workflow is not found.
    case namespaced(Permission)
    /// A grant on `*` with `permission` (an `admin` everywhere).
    case everywhere(Permission)
    /// The handler checks `permission` itself: a list shows what the caller may see, a body
    /// names the namespace.
    case byHandler(Permission)
}

/// The rule and the audit log's name of every route, by method and path template as the router
/// spells it (`/workflows/{workflow_id}`, as `openapi.yaml` does).
enum AccessRules {
    struct Entry: Sendable {
        var rule: AccessRule
        /// How the audit log names the action (`workflow.create`); mutations only.
        var action: String?
    }

    static func entry(method: HTTPRequest.Method, path: String) -> Entry? {
        // HEAD is answered by the GET route.
        table["\(method == .head ? "GET" : method.rawValue) \(path)"]
    }

    static let table: [String: Entry] = [
        "GET /healthz": .init(rule: .open),
        "GET /readyz": .init(rule: .open),
        // Every namespace's workflows are counted there: readers of all of them only.
        "GET /metrics": .init(rule: .everywhere(.read)),
        "GET /openapi.yaml": .init(rule: .open),
        "GET /openapi.json": .init(rule: .open),
        "GET /docs": .init(rule: .open),
        "GET /": .init(rule: .open),
        "GET /ui": .init(rule: .open),
        "GET /ui/**": .init(rule: .open),
        "GET /ui/assets/{asset}": .init(rule: .open),
        "GET /step-types": .init(rule: .signedIn),

        "POST /workflows": .init(rule: .byHandler(.edit), action: "workflow.create"),
        "POST /workflows/validate": .init(rule: .signedIn),
        "GET /workflows": .init(rule: .byHandler(.read)),
        "GET /workflows/{workflow_id}": .init(rule: .namespaced(.read)),
        "PUT /workflows/{workflow_id}": .init(rule: .namespaced(.edit), action: "workflow.update"),
        "DELETE /workflows/{workflow_id}": .init(rule: .namespaced(.edit), action: "workflow.delete"),
        "GET /workflows/{workflow_id}/versions": .init(rule: .namespaced(.read)),
        "GET /workflows/{workflow_id}/versions/{version}": .init(rule: .namespaced(.read)),

        "GET /queues": .init(rule: .byHandler(.work)),
        "POST /queues/{queue}/claim": .init(rule: .byHandler(.work), action: "task.claim"),
        "POST /queues/{queue}/tasks/{queued_task_id}/heartbeat": .init(rule: .byHandler(.work)),
        "POST /queues/{queue}/tasks/{queued_task_id}/complete": .init(rule: .byHandler(.work), action: "task.complete"),
        "POST /queues/{queue}/tasks/{queued_task_id}/fail": .init(rule: .byHandler(.work), action: "task.fail"),

        "GET /inbox": .init(rule: .byHandler(.work)),
        "GET /human-tasks": .init(rule: .byHandler(.read)),
        "GET /human-tasks/{human_task_id}": .init(rule: .byHandler(.read)),
        "POST /human-tasks/{human_task_id}/claim": .init(rule: .byHandler(.work), action: "human_task.claim"),
        "POST /human-tasks/{human_task_id}/release": .init(rule: .byHandler(.work), action: "human_task.release"),
        "POST /human-tasks/{human_task_id}/complete": .init(rule: .byHandler(.work), action: "human_task.complete"),
        "POST /human-tasks/{human_task_id}/reassign": .init(rule: .byHandler(.control), action: "human_task.reassign"),

        "POST /workflows/{workflow_id}/execute": .init(rule: .namespaced(.run), action: "execution.create"),
        "GET /workflows/{workflow_id}/executions": .init(rule: .namespaced(.read)),
        "GET /workflows/{workflow_id}/executions/{execution_id}": .init(rule: .namespaced(.read)),
        "GET /executions/{execution_id}": .init(rule: .namespaced(.read)),
        "POST /workflows/{workflow_id}/executions/{execution_id}/cancel": .init(rule: .namespaced(.control), action: "execution.cancel"),
        "POST /workflows/{workflow_id}/executions/{execution_id}/suspend": .init(rule: .namespaced(.control), action: "execution.suspend"),
        "POST /workflows/{workflow_id}/executions/{execution_id}/resume": .init(rule: .namespaced(.control), action: "execution.resume"),
        "POST /workflows/{workflow_id}/executions/{execution_id}/retry": .init(rule: .namespaced(.control), action: "execution.retry"),
        "POST /workflows/{workflow_id}/executions/{execution_id}/rerun": .init(rule: .namespaced(.run), action: "execution.rerun"),
        "GET /workflows/{workflow_id}/executions/{execution_id}/tasks/{task_id}/logs": .init(rule: .namespaced(.read)),
        "GET /workflows/{workflow_id}/executions/{execution_id}/events": .init(rule: .namespaced(.read)),
        "GET /events": .init(rule: .byHandler(.read)),

        "POST /workflows/{workflow_id}/webhooks": .init(rule: .namespaced(.edit), action: "webhook.create"),
        "GET /workflows/{workflow_id}/webhooks": .init(rule: .namespaced(.read)),
        "GET /workflows/{workflow_id}/webhooks/{webhook_id}": .init(rule: .namespaced(.read)),
        "DELETE /workflows/{workflow_id}/webhooks/{webhook_id}": .init(rule: .namespaced(.edit), action: "webhook.delete"),
        "POST /workflows/{workflow_id}/webhooks/{webhook_id}/rotate-secret": .init(rule: .namespaced(.edit), action: "webhook.rotate_secret"),
        "POST /workflows/{workflow_id}/schedules": .init(rule: .namespaced(.edit), action: "schedule.create"),
        "GET /workflows/{workflow_id}/schedules": .init(rule: .namespaced(.read)),
        "GET /workflows/{workflow_id}/schedules/{schedule_id}": .init(rule: .namespaced(.read)),
        "PATCH /workflows/{workflow_id}/schedules/{schedule_id}": .init(rule: .namespaced(.edit), action: "schedule.update"),
        "DELETE /workflows/{workflow_id}/schedules/{schedule_id}": .init(rule: .namespaced(.edit), action: "schedule.delete"),
        "GET /workflows/{workflow_id}/schedules/{schedule_id}/fires": .init(rule: .namespaced(.read)),
        "GET /workflows/{workflow_id}/executions/{execution_id}/deliveries": .init(rule: .namespaced(.read)),
        "POST /workflows/{workflow_id}/executions/{execution_id}/deliveries/{delivery_id}/resend": .init(rule: .namespaced(.edit), action: "delivery.resend"),

        "GET /me": .init(rule: .signedIn),
        "POST /session": .init(rule: .open, action: "session.create"),
        "DELETE /session": .init(rule: .signedIn, action: "session.delete"),
        "GET /accounts": .init(rule: .everywhere(.administer)),
        "POST /accounts": .init(rule: .everywhere(.administer), action: "account.create"),
        "GET /accounts/{account}": .init(rule: .everywhere(.administer)),
        "DELETE /accounts/{account}": .init(rule: .everywhere(.administer), action: "account.delete"),
        "GET /accounts/{account}/tokens": .init(rule: .signedIn),
        "POST /accounts/{account}/tokens": .init(rule: .signedIn, action: "token.create"),
        "DELETE /accounts/{account}/tokens/{token_id}": .init(rule: .signedIn, action: "token.revoke"),
        "GET /groups": .init(rule: .everywhere(.administer)),
        "POST /groups": .init(rule: .everywhere(.administer), action: "group.create"),
        "GET /groups/{group}": .init(rule: .everywhere(.administer)),
        "DELETE /groups/{group}": .init(rule: .everywhere(.administer), action: "group.delete"),
        "POST /groups/{group}/members": .init(rule: .everywhere(.administer), action: "group.add_member"),
        "DELETE /groups/{group}/members/{account}": .init(rule: .everywhere(.administer), action: "group.remove_member"),
        "GET /grants": .init(rule: .byHandler(.administer)),
        "POST /grants": .init(rule: .byHandler(.administer), action: "grant.create"),
        "DELETE /grants/{grant_id}": .init(rule: .byHandler(.administer), action: "grant.delete"),
        "GET /audit": .init(rule: .everywhere(.administer)),

        "POST /annotation/project/create": .init(rule: .byHandler(.edit), action: "annotation_project.create"),
        "GET /annotation/project/get": .init(rule: .byHandler(.read)),
        "GET /annotation/project/list": .init(rule: .byHandler(.read)),
        "POST /annotation/workflow/create": .init(rule: .byHandler(.edit), action: "annotation_workflow.create"),
        "POST /annotation/workflow/update": .init(rule: .byHandler(.edit), action: "annotation_workflow.update"),
        "GET /annotation/workflow/get": .init(rule: .byHandler(.read)),
        "GET /annotation/workflow/progress": .init(rule: .byHandler(.read)),
        "GET /annotation/workflow/list": .init(rule: .byHandler(.read)),
        "POST /annotation/algorithm/create": .init(rule: .byHandler(.edit), action: "annotation_algorithm.create"),
        "GET /annotation/algorithm/list": .init(rule: .byHandler(.read)),
        "POST /annotation/item/upload": .init(rule: .byHandler(.run), action: "annotation_item.upload"),
        "GET /annotation/item/get": .init(rule: .byHandler(.read)),
        "GET /annotation/item/list": .init(rule: .byHandler(.read)),
        "GET /annotation/item/export": .init(rule: .byHandler(.read)),
        "POST /api/v1/workflows/{namespace}": .init(rule: .byHandler(.edit), action: "argo_workflow.create"),
        "GET /api/v1/workflows/{namespace}": .init(rule: .byHandler(.read)),
        "POST /api/v1/workflows/{namespace}/lint": .init(rule: .byHandler(.read)),
        "GET /api/v1/workflows/{namespace}/{name}": .init(rule: .byHandler(.read)),
        "DELETE /api/v1/workflows/{namespace}/{name}": .init(rule: .byHandler(.edit), action: "argo_workflow.delete"),
        // argo-server's artifact download, outside /api/v1: read as the workflow is.
        "GET /artifacts/{namespace}/{name}/{nodeId}/{artifactName}": .init(rule: .byHandler(.read)),
        "PUT /api/v1/workflows/{namespace}/{name}/stop": .init(rule: .byHandler(.control), action: "argo_workflow.stop"),
        "PUT /api/v1/workflows/{namespace}/{name}/terminate": .init(rule: .byHandler(.control), action: "argo_workflow.terminate"),
        "PUT /api/v1/workflows/{namespace}/{name}/retry": .init(rule: .byHandler(.control), action: "argo_workflow.retry"),
        "PUT /api/v1/workflows/{namespace}/{name}/resubmit": .init(rule: .byHandler(.edit), action: "argo_workflow.resubmit"),
        // Answered 501 (not supported yet) once the caller may control the workflow: nothing changes.
        "PUT /api/v1/workflows/{namespace}/{name}/suspend": .init(rule: .byHandler(.control), action: "argo_workflow.suspend"),
        "PUT /api/v1/workflows/{namespace}/{name}/resume": .init(rule: .byHandler(.control), action: "argo_workflow.resume"),
        "GET /api/v1/workflows/{namespace}/{name}/log": .init(rule: .byHandler(.read)),
        "GET /api/v1/workflow-events/{namespace}": .init(rule: .byHandler(.read)),
        "POST /api/v1/workflows/{namespace}/submit": .init(rule: .byHandler(.edit), action: "argo_workflow.submit"),
        "POST /api/v1/workflow-templates/{namespace}": .init(rule: .byHandler(.edit), action: "argo_workflow_template.create"),
        "GET /api/v1/workflow-templates/{namespace}": .init(rule: .byHandler(.read)),
        "POST /api/v1/workflow-templates/{namespace}/lint": .init(rule: .byHandler(.read)),
        "GET /api/v1/workflow-templates/{namespace}/{name}": .init(rule: .byHandler(.read)),
        "PUT /api/v1/workflow-templates/{namespace}/{name}": .init(rule: .byHandler(.edit), action: "argo_workflow_template.update"),
        "DELETE /api/v1/workflow-templates/{namespace}/{name}": .init(rule: .byHandler(.edit), action: "argo_workflow_template.delete"),
        "POST /api/v1/cluster-workflow-templates": .init(rule: .byHandler(.edit), action: "argo_cluster_workflow_template.create"),
        "GET /api/v1/cluster-workflow-templates": .init(rule: .byHandler(.read)),
        "POST /api/v1/cluster-workflow-templates/lint": .init(rule: .byHandler(.read)),
        "GET /api/v1/cluster-workflow-templates/{name}": .init(rule: .byHandler(.read)),
        "PUT /api/v1/cluster-workflow-templates/{name}": .init(rule: .byHandler(.edit), action: "argo_cluster_workflow_template.update"),
        "DELETE /api/v1/cluster-workflow-templates/{name}": .init(rule: .byHandler(.edit), action: "argo_cluster_workflow_template.delete"),
        "POST /api/v1/cron-workflows/{namespace}": .init(rule: .byHandler(.edit), action: "argo_cron_workflow.create"),
        "GET /api/v1/cron-workflows/{namespace}": .init(rule: .byHandler(.read)),
        "POST /api/v1/cron-workflows/{namespace}/lint": .init(rule: .byHandler(.read)),
        "GET /api/v1/cron-workflows/{namespace}/{name}": .init(rule: .byHandler(.read)),
        "PUT /api/v1/cron-workflows/{namespace}/{name}": .init(rule: .byHandler(.edit), action: "argo_cron_workflow.update"),
        "DELETE /api/v1/cron-workflows/{namespace}/{name}": .init(rule: .byHandler(.edit), action: "argo_cron_workflow.delete"),
        "PUT /api/v1/cron-workflows/{namespace}/{name}/suspend": .init(rule: .byHandler(.edit), action: "argo_cron_workflow.suspend"),
        "PUT /api/v1/cron-workflows/{namespace}/{name}/resume": .init(rule: .byHandler(.edit), action: "argo_cron_workflow.resume"),
        "GET /api/v1/info": .init(rule: .signedIn),
        "GET /api/v1/version": .init(rule: .open),
        "GET /api/v1/userinfo": .init(rule: .signedIn),

        "POST /annotation/task/next": .init(rule: .byHandler(.work), action: "annotation_task.next"),
    ]
}
