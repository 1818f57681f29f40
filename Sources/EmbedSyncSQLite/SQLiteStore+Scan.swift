import EmbedSyncCore
import Foundation
import GRDB

extension SQLiteStore {
    public func scan(after: RowID?, limit: Int, fields: [String]) async throws -> [ScannedRow] {
        let schema = try await sourceSchema()
        return try await database("scan") {
            try await queue.read { db in
                let select = try self.scanSelect(db, schema: schema, fields: fields)
                var sql = select
                var arguments: StatementArguments = [self.targetTable]
                if let after {
                    sql += " WHERE s.\(quoteIdentifier(schema.idColumn)) > ?"
                    arguments += [after.databaseValue]
                }
                sql += " ORDER BY s.\(quoteIdentifier(schema.idColumn)) LIMIT ?"
                arguments += [limit]
                return try self.fetchScanned(db, sql: sql, arguments: arguments, fields: fields)
            }
        }
    }

    public func rows(ids: [RowID], fields: [String]) async throws -> [ScannedRow] {
        guard !ids.isEmpty else { return [] }
        let schema = try await sourceSchema()
        return try await database("scan") {
            try await queue.read { db in try self.fetchRows(db, ids: ids, fields: fields, schema: schema) }
        }
    }

    /// The source rows with these ids (those that still exist), with their stored state, in id order.
    func fetchRows(_ db: Database, ids: [RowID], fields: [String], schema: SourceSchema) throws -> [ScannedRow] {
        var rows: [ScannedRow] = []
        let select = try scanSelect(db, schema: schema, fields: fields)
        for (placeholders, values) in SQLiteStore.idChunks(ids) {
            let sql =
                select
                + " WHERE s.\(quoteIdentifier(schema.idColumn)) IN (\(placeholders))"
                + " ORDER BY s.\(quoteIdentifier(schema.idColumn))"
            let arguments: StatementArguments = [targetTable] + values
            rows += try fetchScanned(db, sql: sql, arguments: arguments, fields: fields)
        }
        return rows
    }

    /// `SELECT id, fields…, stored hash, stored model, failure runs, failure hash FROM source LEFT JOIN …`;
    /// the first bound argument is the target name for the failures join.
    private func scanSelect(_ db: Database, schema: SourceSchema, fields: [String]) throws -> String {
        let id = "s.\(quoteIdentifier(schema.idColumn))"
        var columns = [id]
        columns += fields.map { "s.\(quoteIdentifier($0))" }
        var joins = ""
        if try db.tableExists(targetTable) {
            columns += ["t.content_hash", "t.model"]
            joins += " LEFT JOIN \(quoteIdentifier(targetTable)) AS t ON t.id = \(id)"
        } else {
            columns += ["NULL", "NULL"]
        }
        if try db.tableExists("embedsync_failures") {
            columns += ["f.runs", "f.content_hash"]
            joins += " LEFT JOIN embedsync_failures AS f ON f.target = ? AND f.row_id = \(id)"
        } else {
            columns += ["NULL", "NULL", "?"]
        }
        return "SELECT \(columns.joined(separator: ", ")) FROM \(sourceSQL) AS s\(joins)"
    }

    private func fetchScanned(
        _ db: Database, sql: String, arguments: StatementArguments, fields: [String]
    ) throws -> [ScannedRow] {
        var rows: [ScannedRow] = []
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() {
            guard let id = RowID(row[0] as DatabaseValue) else { continue }
            if case .text(let read) = id, try read.contains("\0") || SQLiteStore.text(row, at: 0) != read {
                throw SQLiteStore.nulInID(try SQLiteStore.text(row, at: 0) ?? read)
            }
            var values: [String: String?] = [:]
            for (index, field) in fields.enumerated() {
                values[field] = try SQLiteStore.text(row, at: index + 1)
            }
            let base = fields.count + 1
            var scanned = ScannedRow(id: id, values: values)
            if let hash = row[base] as String?, let model = row[base + 1] as String? {
                scanned.stored = StoredState(contentHash: hash, modelKey: model)
            }
            if let runs = row[base + 2] as Int? {
                scanned.failure = FailureState(runs: runs, contentHash: row[base + 3] as String?)
            }
            rows.append(scanned)
        }
        return rows
    }

    /// An id with a NUL character cannot be bound as text (SQLite's C API and GRDB read a bound string up to its
    /// first NUL), so its vector could never be looked up again: refused before anything is written or sent.
    static func nulInID(_ id: String) -> EmbedSyncError {
        let shown = id.replacingOccurrences(of: "\0", with: "\\0")
        return EmbedSyncError(
            .usage,
            """
            The row id '\(shown)' contains a NUL character, which EmbedSync cannot store or look up. Choose an id \
            column without NUL characters with \(.idColumn), or remove the NUL from the ids.
            """
        )
    }

    /// Column `index` of a cursor row as template text. TEXT is read with its stored length rather than up to
    /// its first NUL (GRDB's `String` decoding stops there), so a NUL inside a text does not cut it short.
    static func text(_ row: Row, at index: Int) throws -> String? {
        let value = row[index] as DatabaseValue
        guard case .string = value.storage else { return text(value) }
        return try row.withUnsafeData(atIndex: index) { bytes in
            bytes.map { String(decoding: $0, as: UTF8.self) }
        } ?? ""
    }

    /// A field as template text: numbers printed plainly, BLOBs decoded as UTF-8, NULL as `nil`.
    static func text(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .null: return nil
        case .int64(let number): return String(number)
        case .double(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .string(let string): return string
        case .blob(let data): return String(data: data, encoding: .utf8)
        }
    }
}

extension RowID {
    init?(_ value: DatabaseValue) {
        switch value.storage {
        case .int64(let number): self = .int(number)
        case .string(let string): self = .text(string)
        case .double(let number): self = number == number.rounded() ? .int(Int64(number)) : .text(String(number))
        case .blob(let data): self = .text(String(decoding: data, as: UTF8.self))
        case .null: return nil
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .int(let number): return number.databaseValue
        case .text(let string): return string.databaseValue
        }
    }
}
