import EmbedSyncCore
import Foundation

/// The merged configuration: flags win over the environment (a `.env` file included, the real environment
/// winning over it), and the environment over embedsync.yaml.
struct Settings: Sendable {
    private var values: [SettingKey: (value: String, origin: String)] = [:]
    /// The process environment merged with `.env`, for API keys and `DATABASE_URL`.
    let environment: [String: String]
    /// Where embedsync.yaml was read from, if anywhere.
    let configPath: String?

    /// Loads the layers.
    /// - Parameters:
    ///   - flags: values given on the command line, by setting.
    ///   - configPath: `--config`; `nil` means `./embedsync.yaml` when present.
    init(flags: [SettingKey: String], configPath: String?, context: CLIContext) throws {
        var environment = try DotEnv.load(directory: context.workingDirectory)
        for (name, value) in context.environment { environment[name] = value }
        self.environment = environment

        let defaultConfig = (context.workingDirectory as NSString).appendingPathComponent("embedsync.yaml")
        let path: String? =
            configPath.map {
                ($0 as NSString).isAbsolutePath ? $0 : (context.workingDirectory as NSString).appendingPathComponent($0)
            }
            ?? (FileManager.default.fileExists(atPath: defaultConfig) ? defaultConfig : nil)
        self.configPath = path
        if let path {
            guard FileManager.default.fileExists(atPath: path) else {
                throw EmbedSyncError(
                    .usage, "No config file at '\(path)'. Pass --config PATH, or run `embedsync init` to write one.")
            }
            let file = try ConfigFile.load(path: path)
            for key in SettingKey.all {
                if let value = file[key.key] {
                    values[key] = (value, "\(key.key) in \((path as NSString).lastPathComponent)")
                }
            }
        }
        for key in SettingKey.all {
            if let value = environment[key.environment], !value.isEmpty { values[key] = (value, key.environment) }
        }
        if values[.database] == nil, let url = environment["DATABASE_URL"], !url.isEmpty {
            values[.database] = (url, "DATABASE_URL")
        }
        for (key, value) in flags { values[key] = (value, key.flag) }
    }

    func string(_ key: SettingKey) -> String? {
        values[key]?.value
    }

    func origin(_ key: SettingKey) -> String {
        values[key]?.origin ?? key.flag
    }

    /// A positive integer setting, or `nil` when unset.
    func positiveInt(_ key: SettingKey, allowZero: Bool = false) throws -> Int? {
        guard let text = string(key) else { return nil }
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), value > 0 || (allowZero && value == 0) else {
            throw EmbedSyncError(
                .usage,
                "\(origin(key)) must be a \(allowZero ? "non-negative" : "positive") whole number, not '\(text)'.")
        }
        return value
    }

    /// A non-negative number setting, or `nil` when unset.
    func number(_ key: SettingKey) throws -> Double? {
        guard let text = string(key) else { return nil }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value >= 0, value.isFinite else {
            throw EmbedSyncError(.usage, "\(origin(key)) must be a non-negative number, not '\(text)'.")
        }
        return value
    }

    func bool(_ key: SettingKey) throws -> Bool? {
        guard let text = string(key)?.lowercased() else { return nil }
        switch text {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw EmbedSyncError(.usage, "\(origin(key)) must be true or false, not '\(text)'.")
        }
    }
}
