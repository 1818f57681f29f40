import EmbedSyncCore
import Foundation

/// `embedsync doctor`: checks, one at a time, what `embedsync run` needs with these options, through the same
/// factories `run` uses, and never writes to the database or spends more than one provider request.
///
/// Checks, in the order printed (each always present, `skip` when it does not apply or cannot run):
/// `config`, `database`, `pgvector`, `source`, `template`, `target`, `disk`, `model`, `kernel`, `tokenizer`,
/// `api_key`, `provider`.
struct Doctor {
    let common: CommonOptions
    let context: CLIContext
    /// Seconds the provider request may take.
    let timeout: Double

    static let storeChecks = ["database", "pgvector", "source", "template", "target", "disk"]
    static let providerChecks = ["model", "kernel", "tokenizer", "api_key", "provider"]

    func run() async -> DoctorReport {
        var report = DoctorReport()
        let settings: Settings
        do {
            settings = try loadSettings()
            report.add(.ok("config", configDetail(settings)))
        } catch {
            report.add(
                .fail(
                    "config", error,
                    fix: "Correct the setting named above (flag, EMBEDSYNC_… variable or embedsync.yaml key)."))
            for name in Self.storeChecks + Self.providerChecks {
                report.add(.skip(name, "not checked: the configuration is not valid"))
            }
            return report
        }
        let provider = await ProviderDiagnosis(
            settings: settings, providers: ProviderFactory(settings: settings, context: context)
        ).run()
        let store = await StoreDiagnosis(settings: settings, context: context).run(model: provider.identity)
        for check in store + provider.checks { report.add(check) }
        return report
    }

    /// The settings `run` would use, checked as `run` checks them before opening anything; the provider request
    /// gets doctor's short timeout.
    private func loadSettings() throws -> Settings {
        var flags = common.flags
        flags[.timeout] = String(timeout)
        let settings = try Settings(flags: flags, configPath: common.config, context: context)
        try ProviderFactory(settings: settings, context: context).checkProvider()
        _ = try RunSettings(settings)
        _ = try StoreFactory.target(settings)
        return settings
    }

    private func configDetail(_ settings: Settings) -> String {
        guard let path = settings.configPath else {
            return "no embedsync.yaml in \(context.workingDirectory): flags and environment only"
        }
        return "\(path) is valid"
    }
}

/// Doctor's view of the network for a check: one request at most, never a download.
struct NoDownload: Error, CustomStringConvertible {
    var description: String { "embedsync doctor does not download; `embedsync run` would try to" }
}
