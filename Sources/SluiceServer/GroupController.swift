import HTTPTypes
import Hummingbird
import SluiceCore
import SluiceEngine
import SluiceStore

/// Named groups of accounts, which a `Human.Task` assigns as `group:NAME`: `/groups…`. Managed
/// as accounts are (an admin everywhere; the rules are in `AccessRules`). A group's members
/// are read when they are needed (an inbox, a claim), so a member added later sees its tasks.
struct GroupController {
    let engine: Engine
    let accounts: AccountController

    func register(on router: some RouterMethods<SluiceRequestContext>) {
        router.get("/groups", use: list)
        router.post("/groups", use: create)
        router.get("/groups/:group", use: get)
        router.delete("/groups/:group", use: delete)
        router.post("/groups/:group/members", use: addMember)
        router.delete("/groups/:group/members/:account", use: removeMember)
    }

    static func representation(_ g: GroupRecord, members: [AccountRecord]? = nil) -> JSONValue {
        var o = JSONObject()
        o.append("name", .string(g.name))
        o.append("group_id", .string(g.id))
        o.append("description", g.description.map(JSONValue.string) ?? .null)
        o.append("created_at", Optional(g.createdAt).timestamp)
        if let members { o.append("members", .array(members.map { .string($0.name) })) }
        return .object(o)
    }

    /// The group the path names, or the 404.
    func namedGroup(_ context: SluiceRequestContext) async throws -> GroupRecord {
        let name = try context.parameters.require("group")
        guard let group = try await engine.store.group(name: name) else { throw Problem.notFound("no group named \"\(name)\"") }
        return group
    }

    @Sendable func list(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let page = try accounts.parsing.page(request)
        let result = try await engine.store.groups(limit: page.limit, before: page.before)
        return JSONResponse.make(.page("groups", result.items.map { Self.representation($0) }, next: result.nextCursor))
    }

    /// `POST /groups {"name": "reviewers", "description": "…"}`: `201`; `409` if the name is taken.
    @Sendable func create(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let body = try await accounts.body(request, allowed: ["name", "description"], example: "{\"name\": \"reviewers\", \"description\": \"People who approve drafts\"}")
        var issues: [ValidationIssue] = []
        var name = ""
        do {
            name = try accounts.string(body, "name", required: true, max: GroupName.maxLength * 4) ?? ""
            if let problem = GroupName.problem(name) { issues.append(.init(path: "name", code: "invalid_value", message: problem)) }
        } catch let p as Problem { issues += p.errors }
        var description: String?
        do { description = try accounts.string(body, "description", required: false) } catch let p as Problem { issues += p.errors }
        if !issues.isEmpty { throw Problem.validation(ValidationFailure(title: "Invalid group", issues: issues)) }
        let record = GroupRecord(id: Identifier.make("grp"), name: name, description: description, createdAt: engine.now())
        guard try await accounts.commit([.insertGroup(record)])[0] == .applied else {
            throw EngineError.conflict("a group named \"\(name)\" exists already")
        }
        let stored = try await engine.store.group(name: name) ?? record
        return JSONResponse.make(Self.representation(stored, members: []), status: .created, headers: [.location: "/groups/\(name)"])
    }

    /// A group with its members' account names, in name order.
    @Sendable func get(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let group = try await namedGroup(context)
        return JSONResponse.make(Self.representation(group, members: try await engine.store.groupMembers(groupID: group.id)))
    }

    /// Deletes a group and its memberships (the accounts stay). Tasks assigned to it are then
    /// claimable by nobody through it, until a group of that name is created again.
    @Sendable func delete(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let group = try await namedGroup(context)
        _ = try await accounts.commit([.deleteGroup(id: group.id)])
        return Response(status: .noContent)
    }

    /// `POST /groups/{group}/members {"account": "ann"}`: `201` with the group, or `200` if the
    /// account is a member already; an unknown account is a `400`.
    @Sendable func addMember(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let group = try await namedGroup(context)
        let body = try await accounts.body(request, allowed: ["account"], example: "{\"account\": \"ann\"}")
        let name = try accounts.string(body, "account", required: true, max: AccountName.maxLength * 4) ?? ""
        if let problem = AccountName.problem(name) { throw Problem.badRequest(path: "account", code: "invalid_value", problem) }
        guard let account = try await engine.store.account(name: name) else {
            throw Problem.badRequest(path: "account", code: "unknown_account", "no account named \"\(name)\"; create it first (POST /accounts)")
        }
        let status: HTTPResponse.Status
        switch try await accounts.commit([.addGroupMember(groupID: group.id, accountID: account.id, at: engine.now())])[0] {
        case .applied: status = .created
        case .idConflict: status = .ok
        default: throw Problem.notFound("group \"\(group.name)\" or account \"\(name)\" was deleted meanwhile")
        }
        let members = try await engine.store.groupMembers(groupID: group.id)
        // The membership's path both times (the audit log names the member from it).
        return JSONResponse.make(Self.representation(group, members: members), status: status, headers: [.location: "/groups/\(group.name)/members/\(name)"])
    }

    @Sendable func removeMember(_ request: Request, context: SluiceRequestContext) async throws -> Response {
        let group = try await namedGroup(context)
        let name = try context.parameters.require("account")
        guard let account = try await engine.store.account(name: name),
              try await accounts.commit([.removeGroupMember(groupID: group.id, accountID: account.id)])[0] == .applied else {
            throw Problem.notFound("account \"\(name)\" is not a member of group \"\(group.name)\"")
        }
        return Response(status: .noContent)
    }
}
