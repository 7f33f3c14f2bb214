import ArgumentParser
import Foundation
import SluiceClient
import SluiceCore

/// `sluice group …`: named groups of accounts, which a `Human.Task` assigns as `group:NAME`
/// (an admin everywhere manages them, as accounts).
public struct GroupCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "group", abstract: "Groups of accounts that human tasks assign as group:NAME (an admin everywhere manages them).",
        subcommands: [List.self, Create.self, Show.self, Delete.self, Add.self, Remove.self]
    )
    public init() {}

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List groups, newest first.")
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let page = try await client.groups(limit: 500)
                if output.printStructured(page, console: console) { return ExitStatus.success }
                console.print(Formatting.table(["NAME", "DESCRIPTION", "CREATED"], (page["groups"]?.arrayValue ?? []).map {
                    [$0["name"]?.stringValue ?? "", $0["description"]?.stringValue ?? "", $0["created_at"]?.stringValue ?? ""]
                }))
                return ExitStatus.success
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a group.", discussion: "Example:\n  sluice group create reviewers --description 'People who approve drafts'")
        @Argument(help: "Its name: letters, digits, . _ @ and -.") var name: String
        @Option(help: "What the group is for.") var description: String?
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let group = try await client.createGroup(name: name, description: description)
                if output.printStructured(group, console: console) { return ExitStatus.success }
                console.print("created group \(name); add members with `sluice group add \(name) ACCOUNT` and assign tasks to it as group:\(name)")
                return ExitStatus.success
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "A group with its members.")
        @Argument var name: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let group = try await client.group(name)
                if output.printStructured(group, console: console) { return ExitStatus.success }
                let members = (group["members"]?.arrayValue ?? []).compactMap(\.stringValue)
                console.print("\(name)\(group["description"]?.stringValue.map { ": \($0)" } ?? "")")
                console.print(members.isEmpty ? "no members" : Formatting.table(["MEMBER"], members.map { [$0] }))
                return ExitStatus.success
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a group (its members' accounts stay).")
        @Argument var name: String
        @OptionGroup var server: ServerOptions
        func run() async throws {
            try await server.run { client, console in
                try await client.deleteGroup(name)
                console.print("deleted group \(name)")
                return ExitStatus.success
            }
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add an account to a group.", discussion: "Example:\n  sluice group add reviewers ann")
        @Argument var group: String
        @Argument var account: String
        @OptionGroup var server: ServerOptions
        @OptionGroup var output: OutputOptions
        func run() async throws {
            try await server.run { client, console in
                let updated = try await client.addGroupMember(group: group, account: account)
                if output.printStructured(updated, console: console) { return ExitStatus.success }
                console.print("\(account) is a member of \(group)")
                return ExitStatus.success
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Take an account out of a group.")
        @Argument var group: String
        @Argument var account: String
        @OptionGroup var server: ServerOptions
        func run() async throws {
            try await server.run { client, console in
                try await client.removeGroupMember(group: group, account: account)
                console.print("removed \(account) from \(group)")
                return ExitStatus.success
            }
        }
    }
}
