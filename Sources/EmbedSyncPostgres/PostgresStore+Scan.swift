import EmbedSyncCore
import PostgresNIO

/// Builds a statement from quoted SQL fragments and bound values (`$1`, `$2`, …).
struct SQLBuilder {
    var sql = ""
    var binds = PostgresBindings()

    /// Binds a value and returns its placeholder.
    mutating func bind<Value: PostgresDynamicTypeEncodable>(_ value: Value) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    /// Binds a search filter's value.
    mutating func bind(_ value: SearchFilter.Value) -> String {
        switch value {
        case .text(let text): bind(text)
        case .integer(let number): bind(number)
        case .real(let number): bind(number)
        case .bool(let flag): bind(flag)
        }
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}

extension PostgresStore {
    public func scan(after: RowID?, limit: Int, fields: [String]) async throws -> [ScannedRow] {
        let layout = try await layout()
        return try await database("scan") {
            var builder = try await scanSelect(layout: layout, fields: fields)
            if let after {
                builder.sql += " WHERE s.\(layout.id) > \(builder.bind(after.description))::\(layout.idType)"
            }
            builder.sql += " ORDER BY s.\(layout.id) LIMIT \(builder.bind(Int64(limit)))"
            return try await fetchScanned(builder.query, layout: layout, fields: fields)
        }
    }

    public func rows(ids: [RowID], fields: [String]) async throws -> [ScannedRow] {
        guard !ids.isEmpty else { return [] }
        let layout = try await layout()
        return try await database("scan") {
            var builder = try await scanSelect(layout: layout, fields: fields)
            builder.sql +=
                """
                 WHERE s.\(layout.id) = ANY(\(builder.bind(ids.map(\.description)))::text[]::\(layout.idType)[]) \
                ORDER BY s.\(layout.id)
                """
            return try await fetchScanned(builder.query, layout: layout, fields: fields)
        }
    }

    /// `SELECT id, fields…, stored hash, stored model, failure runs, failure hash FROM source LEFT JOIN …`, every
    /// value as text.
    private func scanSelect(layout: Layout, fields: [String]) async throws -> SQLBuilder {
        var builder = SQLBuilder()
        var columns = ["s.\(layout.id)::text"] + fields.map { "s.\(quoteIdentifier($0))::text" }
        var joins = ""
        if try await tableExists(layout.target) {
            if let vectorColumn = layout.vectorColumn {
                let present = "s.\(quoteIdentifier(vectorColumn)) IS NOT NULL"
                columns += ["CASE WHEN \(present) THEN t.content_hash END", "CASE WHEN \(present) THEN t.model END"]
            } else {
                columns += ["t.content_hash", "t.model"]
            }
            joins += " LEFT JOIN \(layout.target) AS t ON t.id = s.\(layout.id)"
        } else {
            columns += ["NULL::text", "NULL::text"]
        }
        if try await tableExists(layout.failures) {
            columns += ["f.runs", "f.content_hash"]
            joins +=
                """
                 LEFT JOIN \(layout.failures) AS f ON f.target = \(builder.bind(layout.targetName)) AND f.row_id = \
                s.\(layout.id)::text
                """
        } else {
            columns += ["NULL::int4", "NULL::text"]
        }
        builder.sql = "SELECT \(columns.joined(separator: ", ")) FROM \(layout.sourceSQL) AS s\(joins)"
        return builder
    }

    private func fetchScanned(_ query: PostgresQuery, layout: Layout, fields: [String]) async throws -> [ScannedRow] {
        var rows: [ScannedRow] = []
        let page = try await bounded { [client, logger] in try await client.query(query, logger: logger).collect() }
        for row in page {
            let cells = row.makeRandomAccess()
            guard let idText = try cells[0].decode(String?.self) else { continue }
            let id = rowID(idText, layout: layout)
            var values: [String: String?] = [:]
            for (index, field) in fields.enumerated() {
                values[field] = try cells[index + 1].decode(String?.self)
            }
            let base = fields.count + 1
            var scanned = ScannedRow(id: id, values: values)
            if let hash = try cells[base].decode(String?.self), let model = try cells[base + 1].decode(String?.self) {
                scanned.stored = StoredState(contentHash: hash, modelKey: model)
            }
            if let runs = try cells[base + 2].decode(Int32?.self) {
                scanned.failure = FailureState(runs: Int(runs), contentHash: try cells[base + 3].decode(String?.self))
            }
            rows.append(scanned)
        }
        state.withLock { state in
            for row in rows { state.seen.record(row.id, PostgresStore.storedKey(row.stored)) }
        }
        return rows
    }

    /// What is stored for a row, as one comparable string (empty when nothing is).
    static func storedKey(_ stored: StoredState?) -> String {
        stored.map { "\($0.contentHash)\u{1f}\($0.modelKey)" } ?? ""
    }

    /// An id as read back from `id::text`: an integer for integer id columns, text otherwise.
    func rowID(_ text: String, layout: Layout) -> RowID {
        if layout.idIsInteger, let value = Int64(text) { return .int(value) }
        return .text(text)
    }
}
