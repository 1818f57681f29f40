import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncPostgres
import EmbedSyncSQLite
import Foundation

/// Doctor's database checks: `database`, `pgvector`, `source`, `template`, `target`, `disk`. Opens the store through
/// ``StoreFactory`` as `run` does, reads the catalogs, and writes nothing.
struct StoreDiagnosis {
    let settings: Settings
    let context: CLIContext

    /// Free space under which `disk` fails, and under which it warns.
    static let failBelowBytes: Int64 = 100 << 20
    static let warnBelowBytes: Int64 = 1 << 30

    /// - Parameter model: the model identity the provider checks found, for the `target` check.
    func run(model: ModelIdentity?) async -> [DoctorCheck] {
        let url: String
        do {
            url = try StoreFactory.databaseURL(settings)
        } catch {
            return [.fail("database", error, fix: nil)] + skipped(after: "database", "no database to check")
                + [.skip("disk", "not checked: no database")]
        }
        let sqlitePath = isRemote(url) ? nil : StoreFactory.sqlitePath(url, context: context)
        var checks: [DoctorCheck]
        do {
            checks = try await StoreFactory.open(settings, readOnly: false, context: context).use { store in
                await inspect(store, url: url, sqlitePath: sqlitePath, model: model)
            }
        } catch {
            checks = [.fail("database", error, fix: nil)] + skipped(after: "database", "the database did not open")
        }
        checks.append(disk(sqlitePath: settings.string(.targetDatabase) == nil ? sqlitePath : nil))
        return checks
    }

    private func isRemote(_ url: String) -> Bool {
        StoreFactory.isPostgres(url) || LibSQLURL.matches(url)
    }

    private func skipped(after name: String, _ reason: String) -> [DoctorCheck] {
        let later = Doctor.storeChecks.drop { $0 != name }.dropFirst().filter { $0 != "disk" }
        return later.map { .skip($0, "not checked: \(reason)") }
    }

    /// Every check after `database` on an open store, then `database` itself first (its write access needs the
    /// resolved source on PostgreSQL).
    private func inspect(
        _ store: any EmbeddingStore, url: String, sqlitePath: String?, model: ModelIdentity?
    ) async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let postgres = store as? PostgresStore
        if let postgres {
            do {
                let (schema, version) = try await postgres.vectorExtension()
                checks.append(.ok("pgvector", "vector \(version) in schema \(schema)"))
            } catch {
                checks.append(.fail("pgvector", error))
            }
        } else {
            checks.append(.skip("pgvector", "not needed: vectors are stored as float32 BLOBs (F32_BLOB bytes)"))
        }
        let source = await sourceChecks(store)
        checks += source.checks
        if !source.ok {
            checks.append(.skip("target", "not checked: the source is not usable"))
        } else if let model {
            do {
                try await store.validateTarget(model: model)
                checks.append(.ok("target", "\(targetDescription()) accepts \(model.dimensions)-dimensional vectors"))
            } catch {
                checks.append(.fail("target", error))
            }
        } else {
            checks.append(.skip("target", "not checked: the model is not usable (see model, provider)"))
        }
        let database = await access(store, postgres: postgres, url: url, sqlitePath: sqlitePath, sourceOK: source.ok)
        return [database] + checks
    }

    private func sourceChecks(_ store: any EmbeddingStore) async -> (checks: [DoctorCheck], ok: Bool) {
        let schema: SourceSchema
        do {
            schema = try await store.sourceSchema()
        } catch {
            return ([.fail("source", error), .skip("template", "not checked: the source is not usable")], false)
        }
        let what = (try? StoreFactory.source(settings)).map(Self.describe) ?? "the source"
        let source = DoctorCheck.ok(
            "source", "\(what): \(schema.columns.count) columns, id column '\(schema.idColumn)'")
        do {
            let template = try await Job.resolveTemplate(settings, store: store, context: context)
            let fields = try await store.checkTemplateFields(template)
            return ([source, .ok("template", "fields \(fields.joined(separator: ", ")) are columns")], true)
        } catch {
            return ([source, .fail("template", error)], false)
        }
    }

    static func describe(_ source: SourceSpec) -> String {
        switch source {
        case .table(let name): return "table '\(name)'"
        case .query: return "the source query"
        }
    }

    private func targetDescription() -> String {
        switch try? StoreFactory.target(settings) {
        case .column(let name)?: return "column '\(name)'"
        case .table(let name?)?: return "table '\(name)'"
        default:
            guard let source = try? StoreFactory.source(settings) else { return "the target table" }
            return "table '\(source.baseName)_embeddings'"
        }
    }

    /// The `database` line: what was opened, and whether a run could write there.
    private func access(
        _ store: any EmbeddingStore, postgres: PostgresStore?, url: String, sqlitePath: String?, sourceOK: Bool
    ) async -> DoctorCheck {
        if let postgres {
            let opened = "PostgreSQL \(postgres.serverDescription) reachable"
            guard sourceOK else { return .ok("database", opened + " (write access not checked: see source)") }
            do {
                let missing = try await postgres.missingWritePrivileges()
                guard missing.isEmpty else {
                    return .fail(
                        "database", opened + ", but a run cannot write: missing \(missing.joined(separator: "; "))",
                        fix: "GRANT the privileges above, or connect as the table's owner.")
                }
                return .ok("database", opened + " and writable")
            } catch {
                return .fail("database", error)
            }
        }
        if let target = settings.string(.targetDatabase) {
            let rows = sqlitePath.map { "SQLite \($0)" } ?? (StoreFactory.isPostgres(url) ? "PostgreSQL" : "libSQL")
            let vectors = (try? LibSQLURL(target).description) ?? "the target database"
            return .ok(
                "database",
                "rows from \(rows) (read only), vectors to libSQL \(vectors): both reachable (write access is checked "
                    + "by the first run's commit)")
        }
        if let path = sqlitePath {
            let folder = (path as NSString).deletingLastPathComponent
            guard FileManager.default.isWritableFile(atPath: path), FileManager.default.isWritableFile(atPath: folder)
            else {
                return .fail(
                    "database", "SQLite \(path) opened, but it or its folder is not writable",
                    fix: "A run writes vectors into the file and its -wal beside it: make both writable by this user.")
            }
            return .ok("database", "SQLite \(path) readable and writable")
        }
        let shown = (try? LibSQLURL(url).description) ?? "libSQL"
        return .ok("database", "libSQL \(shown) reachable (write access is checked by the first run's commit)")
    }

    /// Free space where the database file lives (SQLite); remote servers are not checked from here.
    /// - Parameters:
    ///   - failBelow: bytes free under which the check fails; `warnBelow`: under which it warns.
    func disk(
        sqlitePath: String?, failBelow: Int64 = failBelowBytes, warnBelow: Int64 = warnBelowBytes
    ) -> DoctorCheck {
        guard let sqlitePath else { return .skip("disk", "the database is on a server; its free space is not checked") }
        var folder = (sqlitePath as NSString).deletingLastPathComponent
        while !FileManager.default.fileExists(atPath: folder), folder != "/" {
            folder = (folder as NSString).deletingLastPathComponent
        }
        guard let free = Self.freeBytes(in: folder) else {
            return .warn("disk", "could not read the free space of \(folder)", fix: "Check the folder exists.")
        }
        let detail = "\(Self.format(bytes: free)) free in \(folder)"
        let fix = "Free some space: each vector takes 4 bytes per dimension plus its text and bookkeeping."
        if free < failBelow { return .fail("disk", detail, fix: fix) }
        if free < warnBelow { return .warn("disk", detail, fix: fix) }
        return .ok("disk", detail)
    }

    static func freeBytes(in folder: String) -> Int64? {
        let value = (try? FileManager.default.attributesOfFileSystem(forPath: folder))?[.systemFreeSize]
        if let number = value as? NSNumber { return number.int64Value }
        return (value as? UInt64).map { Int64(clamping: $0) }
    }

    static func format(bytes: Int64) -> String {
        let units = ["bytes", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        return unit == 0 ? "\(bytes) bytes" : String(format: "%.1f", value) + " " + units[unit]
    }
}
