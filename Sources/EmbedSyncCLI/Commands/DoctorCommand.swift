import ArgumentParser
import EmbedSyncCore

/// `embedsync doctor`: one screen that checks what `embedsync run` needs with the same options.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check what a run needs: configuration, database, source, model, key, provider, disk.",
        discussion: """
            Each line is OK, WARN, FAIL or SKIP (does not apply, or an earlier check failed), with the fix. Writes \
            nothing; sends the provider one request embedding one short sentence. Exit status 0 when nothing \
            failed, 1 when a check failed, 2 for bad doctor flags.
            """)

    @OptionGroup var common: CommonOptions
    @Flag(help: "Print one JSON object on stdout and nothing else there.") var json = false
    @Option(help: "Seconds the provider request may take (default 10).") var timeout: Double?

    func validate() throws {
        if let timeout, !(timeout > 0) { throw ValidationError("--timeout must be a positive number of seconds.") }
    }

    func run() async throws {
        let context = CLIContext.current
        let report = await Doctor(common: common, context: context, timeout: timeout ?? 10).run()
        context.stdout.line(json ? report.json.serialized() : report.render())
        // 1, as a run that finished with failed rows: doctor finished, and some checks failed.
        if !report.ok { throw ExitCode(ExitStatus.rowsFailed.rawValue) }
    }
}
