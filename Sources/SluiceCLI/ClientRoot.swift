import ArgumentParser

/// The client commands under one root, as the `sluice` executable offers them (next to `serve`
/// and `bench`); tests parse and run command lines through it.
public struct ClientRoot: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "sluice", subcommands: ClientCommands.all)
    public init() {}
}
