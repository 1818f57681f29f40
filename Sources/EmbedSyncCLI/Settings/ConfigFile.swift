import EmbedSyncCore
import Foundation
import Yams

/// embedsync.yaml, flattened to dotted keys (`source.table`).
enum ConfigFile {
    static func load(path: String) throws -> [String: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw EmbedSyncError(.usage, "Cannot read the config file '\(path)'.")
        }
        let node: Any?
        do {
            node = try Yams.load(yaml: text)
        } catch {
            throw EmbedSyncError(.usage, "The config file '\(path)' is not valid YAML: \(error)")
        }
        guard let node else { return [:] }
        guard let root = node as? [String: Any] else {
            throw EmbedSyncError(
                .usage,
                "The config file '\(path)' must be a mapping of keys (database, source, target, embedding, run).")
        }
        var flat: [String: String] = [:]
        flatten(root, prefix: "", into: &flat)
        let known = Set(SettingKey.all.map(\.key))
        let unknown = flat.keys.filter { !known.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw EmbedSyncError(
                .usage,
                """
                Unknown key\(unknown.count > 1 ? "s" : "") in '\(path)': \(unknown.joined(separator: ", ")). Known \
                keys: \(known.sorted().joined(separator: ", ")).
                """
            )
        }
        return flat
    }

    private static func flatten(_ mapping: [String: Any], prefix: String, into flat: inout [String: String]) {
        for (key, value) in mapping {
            let dotted = prefix.isEmpty ? key : "\(prefix).\(key)"
            switch value {
            case let nested as [String: Any]: flatten(nested, prefix: dotted, into: &flat)
            case is NSNull: continue
            case let text as String: flat[dotted] = text
            case let number as Int: flat[dotted] = String(number)
            case let number as Double: flat[dotted] = String(number)
            case let flag as Bool: flat[dotted] = flag ? "true" : "false"
            default: flat[dotted] = "\(value)"
            }
        }
    }
}
