import EmbedSyncCore
import Foundation
import GRDB
import GRDBSQLite

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
    /// the first bound argument is the target name for the failures join. The target is read through its freshness
    /// index when it has one (a few dozen bytes a row instead of the row with its vector), and `+` keeps the id's
    /// affinity out of the failures join so that it uses the (target, row_id) key instead of scanning the target's
    /// failures for every row.
    private func scanSelect(_ db: Database, schema: SourceSchema, fields: [String]) throws -> String {
        let id = "s.\(quoteIdentifier(schema.idColumn))"
        var columns = [id]
        columns += fields.map { "s.\(quoteIdentifier($0))" }
        var joins = ""
        if try db.tableExists(targetTable) {
            columns += ["t.content_hash", "t.model"]
            let indexed = try hasFreshnessIndex(db) ? " INDEXED BY \(quoteIdentifier(freshnessIndex))" : ""
            joins += " LEFT JOIN \(quoteIdentifier(targetTable)) AS t\(indexed) ON t.id = \(id)"
        } else {
            columns += ["NULL", "NULL"]
        }
        if try db.tableExists("embedsync_failures") {
            columns += ["f.runs", "f.content_hash"]
            joins += " LEFT JOIN embedsync_failures AS f ON f.target = ? AND f.row_id = +\(id)"
        } else {
            columns += ["NULL", "NULL", "?"]
        }
        return "SELECT \(columns.joined(separator: ", ")) FROM \(sourceSQL) AS s\(joins)"
    }

    /// Reads the scan's rows straight from the statement: one copy of each text, no intermediate values.
    private func fetchScanned(
        _ db: Database, sql: String, arguments: StatementArguments, fields: [String]
    ) throws -> [ScannedRow] {
        var rows: [ScannedRow] = []
        let statement = try db.makeStatement(sql: sql)
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        let handle = statement.sqliteStatement
        let base = Int32(fields.count + 1)
        while try cursor.next() != nil {
            guard let id = SQLiteStore.rowID(handle, 0) else { continue }
            if case .text(let read) = id, read.contains("\0") {
                throw SQLiteStore.nulInID(read)
            }
            var values: [String: String?] = Dictionary(minimumCapacity: fields.count)
            for (index, field) in fields.enumerated() {
                values[field] = SQLiteStore.text(handle, Int32(index + 1))
            }
            var scanned = ScannedRow(id: id, values: values)
            if sqlite3_column_type(handle, base) != SQLITE_NULL, sqlite3_column_type(handle, base + 1) != SQLITE_NULL,
                let hash = SQLiteStore.text(handle, base), let model = SQLiteStore.text(handle, base + 1)
            {
                scanned.stored = StoredState(contentHash: hash, modelKey: model)
            }
            if sqlite3_column_type(handle, base + 2) != SQLITE_NULL {
                let hash =
                    sqlite3_column_type(handle, base + 3) == SQLITE_NULL ? nil : SQLiteStore.text(handle, base + 3)
                scanned.failure = FailureState(runs: Int(sqlite3_column_int64(handle, base + 2)), contentHash: hash)
            }
            rows.append(scanned)
        }
        return rows
    }

    /// Column `index` of the current row as template text: TEXT with its stored length (a NUL inside a text does not
    /// cut it short), numbers printed plainly, BLOBs decoded as UTF-8, NULL as `nil`.
    static func text(_ handle: OpaquePointer, _ index: Int32) -> String? {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_NULL: return nil
        case SQLITE_INTEGER: return String(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return text(sqlite3_column_double(handle, index).databaseValue)
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let bytes = sqlite3_column_blob(handle, index) else { return "" }
            return String(data: Data(bytes: bytes, count: count), encoding: .utf8)
        default:
            guard let bytes = sqlite3_column_text(handle, index) else { return "" }
            let count = Int(sqlite3_column_bytes(handle, index))
            return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
        }
    }

    /// Column `index` of the current row as a row id (`nil` for NULL), read as ``RowID/init(_:)`` reads a value.
    static func rowID(_ handle: OpaquePointer, _ index: Int32) -> RowID? {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_NULL: return nil
        case SQLITE_INTEGER: return .int(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT: return RowID(sqlite3_column_double(handle, index).databaseValue)
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard count > 0, let bytes = sqlite3_column_blob(handle, index) else { return .text("") }
            return .text(String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self))
        default: return .text(text(handle, index) ?? "")
        }
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
