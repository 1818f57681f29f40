import ArgumentParser
import EmbedSyncCore
import Foundation
import Logging

/// The `embedsync` command line.
public struct EmbedSyncCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "embedsync",
        abstract: "Fill and keep fresh the vector embeddings of a table's rows, and search them.",
        discussion: """
            Exit status: 0 all selected rows embedded (or nothing to do); 1 finished with failed rows; \
            2 usage or configuration error (nothing written); 3 fatal provider or database error; \
            4 stopped by --max-cost or a signal (run again to resume).
            """,
        version: EmbedSyncVersion.current,
        subcommands: [
            InitCommand.self, EstimateCommand.self, RunCommand.self, StatusCommand.self, SearchCommand.self,
            IndexCommand.self, ChangesCommand.self, ServeCommand.self, ResetCommand.self, DoctorCommand.self,
            ModelCommand.self, BatchCommand.self,
        ]
    )

    public init() {}
}

/// The entry point: parses, runs, prints errors people can act on, and returns the exit status.
public enum EmbedSyncCLI {
    /// Runs one command line and returns its exit status (never calls `exit`).
    public static func run(_ arguments: [String]) async -> Int32 {
        let context = CLIContext.current
        let wantsJSON = arguments.contains("--json")
        do {
            var command = try EmbedSyncCommand.parseAsRoot(withBareWait(arguments))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return ExitStatus.success.rawValue
        } catch let error as EmbedSyncError {
            report(error.message(naming: \.flag), code: error.code.rawValue, json: wantsJSON, context: context)
            return ExitStatus.forError(error).rawValue
        } catch let error as ExitCode {
            return error.rawValue
        } catch {
            let code = EmbedSyncCommand.exitCode(for: error)
            if code == .success {
                context.stdout.write(EmbedSyncCommand.fullMessage(for: error) + "\n")
                return 0
            }
            let message = EmbedSyncCommand.fullMessage(for: error)
            if code == .validationFailure || error is ValidationError || message.lowercased().hasPrefix("error:") {
                report(message, code: "usage", json: wantsJSON, context: context, prefixed: true)
                return ExitStatus.usage.rawValue
            }
            report(String(describing: error), code: "internal", json: wantsJSON, context: context)
            return ExitStatus.fatal.rawValue
        }
    }

    /// `--wait` takes SECONDS, or nothing: a bare `--wait` (last, or before another option) waits as long as it takes.
    static func withBareWait(_ arguments: [String]) -> [String] {
        var arguments = arguments
        for index in arguments.indices where arguments[index] == "--wait" {
            if index + 1 == arguments.count || arguments[index + 1].hasPrefix("-") {
                arguments[index] = "--wait=\(RunSettings.forever)"
            }
        }
        return arguments
    }

    static func report(_ message: String, code: String, json: Bool, context: CLIContext, prefixed: Bool = false) {
        context.stderr.line(prefixed ? message : "error: \(message)")
        if json {
            context.stdout.line(
                JSONValue.object([("error", .object([("code", .string(code)), ("message", .string(message))]))])
                    .serialized())
        }
    }

    /// Runs the process: turns core files off (they would hold the secrets; see ``CoreDumps``), installs
    /// SIGINT/SIGTERM handlers (first: finish in-flight batches; second: exit at once), except for `serve`, whose
    /// `ServiceGroup` owns both signals.
    public static func main() async -> Int32 {
        let environment = CLIContext.current.environment
        CoreDumps.disable(environment: environment)
        let level = environment["EMBEDSYNC_LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .warning
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let arguments = Array(CommandLine.arguments.dropFirst())
        let stop = CLIContext.current.stopSignal
        let handlers = arguments.first == "serve" ? nil : SignalHandlers(stop: stop)
        defer { withExtendedLifetime(handlers) {} }
        return await run(arguments)
    }
}
