import EmbedSyncCore
import Foundation

extension LibSQLStore {
    /// The writes of the embedded rows, chunked: each chunk's failures cleared, its vectors written, then the run's
    /// `embedded` counter raised by the rows written (`counted`, which adds `changes()`).
    ///
    /// With `fields` (a batch to re-check), every statement is limited to the rows whose source row still holds the
    /// scanned fields (``keptCondition(fields:schema:)``): each evaluates the same condition over the same source rows,
    /// which the transaction's write lock keeps still, so each keeps the same rows. (The kept set cannot be computed
    /// once and shared: sqld refuses temporary tables, so the fields travel with each statement that needs them.)
    func keptWrites(
        _ rows: [EmbeddedRow], model: ModelIdentity, fields: [String]?, schema: SourceSchema, now: Double,
        counted: HranaStatement
    ) -> [HranaStatement] {
        guard !rows.isEmpty else { return [] }
        let target = quoteIdentifier(targetTable)
        let condition = keptCondition(fields: fields, schema: schema)
        let perRow = 4 + 2 * (fields?.count ?? 0)
        let chunkSize = max(1, min(200, 30_000 / perRow))
        var statements: [HranaStatement] = []
        for start in stride(from: 0, to: rows.count, by: chunkSize) {
            let chunk = rows[start..<min(rows.count, start + chunkSize)]
            let ids = valuesCTE(chunk, columns: [], fields: fields) { _ in [] }
            statements.append(
                HranaStatement(
                    ids.cte + " DELETE FROM embedsync_failures WHERE target = ? "
                        + "AND row_id IN (SELECT v.e_id FROM v WHERE \(condition))",
                    ids.args + [.text(targetTable)], wantRows: false))
            switch configuration.target {
            case .column(let column):
                guard case .table(let table) = configuration.source else { return [] }
                let source = quoteIdentifier(table)
                let id = "\(source).\(quoteIdentifier(schema.idColumn))"
                let vectors = valuesCTE(chunk, columns: ["e_emb"], fields: fields) {
                    [.blob(LibSQLStore.encode($0.vector))]
                }
                statements.append(
                    HranaStatement(
                        vectors.cte + " UPDATE \(source) SET \(quoteIdentifier(column)) = "
                            + "(SELECT v.e_emb FROM v WHERE v.e_id = \(id)) "
                            + "WHERE \(id) IN (SELECT v.e_id FROM v WHERE \(condition))",
                        vectors.args, wantRows: false))
                let side = valuesCTE(chunk, columns: ["e_hash"], fields: fields) { [.text($0.contentHash)] }
                statements.append(
                    HranaStatement(
                        side.cte + " INSERT INTO \(target) (id, content_hash, model, dimensions, updated_at) "
                            + "SELECT v.e_id, v.e_hash, ?, ?, ? FROM v WHERE \(condition) "
                            + "ON CONFLICT(id) DO UPDATE SET content_hash = excluded.content_hash, "
                            + "model = excluded.model, dimensions = excluded.dimensions, "
                            + "updated_at = excluded.updated_at",
                        side.args + [.text(model.storageKey), .integer(Int64(model.dimensions)), .float(now)],
                        wantRows: false))
            case .table:
                let storeText = configuration.storeText
                let vectors = valuesCTE(chunk, columns: ["e_emb", "e_hash", "e_text"], fields: fields) {
                    [.blob(LibSQLStore.encode($0.vector)), .text($0.contentHash), storeText ? .text($0.text) : .null]
                }
                statements.append(
                    HranaStatement(
                        vectors.cte + " INSERT INTO \(target) (id, embedding, content_hash, model, dimensions, text, "
                            + "created_at, updated_at) SELECT v.e_id, v.e_emb, v.e_hash, ?, ?, v.e_text, ?, ? "
                            + "FROM v WHERE \(condition) ON CONFLICT(id) DO UPDATE SET embedding = excluded.embedding, "
                            + "content_hash = excluded.content_hash, model = excluded.model, "
                            + "dimensions = excluded.dimensions, text = excluded.text, "
                            + "updated_at = excluded.updated_at",
                        vectors.args + [
                            .text(model.storageKey), .integer(Int64(model.dimensions)), .float(now), .float(now),
                        ],
                        wantRows: false))
            }
            statements.append(counted)
        }
        return statements
    }

    /// `WITH v(e_id, columns…, f0s, f0d, …) AS (VALUES …)`: a chunk's rows with their values and, when
    /// re-checking, each scanned field as text (`fNs`) and, when that text is how a REAL prints, as that REAL (`fNd`).
    private func valuesCTE(
        _ chunk: ArraySlice<EmbeddedRow>, columns: [String], fields: [String]?,
        values: (EmbeddedRow) -> [HranaValue]
    ) -> (cte: String, args: [HranaValue]) {
        let fields = fields ?? []
        let names = ["e_id"] + columns + fields.indices.flatMap { ["f\($0)s", "f\($0)d"] }
        let tuple = "(" + Array(repeating: "?", count: names.count).joined(separator: ", ") + ")"
        var args: [HranaValue] = []
        for row in chunk {
            args.append(LibSQLStore.value(row.id))
            args += values(row)
            for field in fields {
                let text = row.sourceValues?[field] ?? nil
                args.append(text.map { .text($0) } ?? .null)
                args.append(text.flatMap(LibSQLStore.printedReal).map { .float($0) } ?? .null)
            }
        }
        let list = Array(repeating: tuple, count: chunk.count).joined(separator: ", ")
        return ("WITH v(\(names.joined(separator: ", "))) AS (VALUES \(list))", args)
    }

    /// The REAL whose text (as ``HranaValue/string`` prints it) is `text`, if there is one.
    static func printedReal(_ text: String) -> Double? {
        guard let number = Double(text), number.isFinite, HranaValue.float(number).string == text else { return nil }
        return number
    }

    /// The SQL condition, over a row `v` of ``valuesCTE(_:columns:fields:values:)``, that its source row exists and
    /// each field still reads as the scanned text: NULL as NULL; TEXT, INTEGER and BLOB when their text is the same
    /// bytes; REAL when it is the REAL that prints as that text (±inf, which the wire carries as null, prints `inf`).
    /// This is ``HranaValue/string``, the scan's reading, so a row that passes renders the text that was embedded.
    /// Without `fields` (no re-check asked) every row passes.
    func keptCondition(fields: [String]?, schema: SourceSchema) -> String {
        guard let fields else { return "true" }
        var parts = ["s.\(quoteIdentifier(schema.idColumn)) = v.e_id"]
        for (index, field) in fields.enumerated() {
            let x = "s.\(quoteIdentifier(field))"
            let text = "v.f\(index)s"
            parts.append(
                "(CASE WHEN \(text) IS NULL THEN \(x) IS NULL "
                    + "ELSE (typeof(\(x)) = 'real' "
                    + "AND (\(x) = v.f\(index)d OR (\(text) = 'inf' AND abs(\(x)) = 9e999))) "
                    + "OR (typeof(\(x)) IN ('text', 'integer', 'blob') "
                    + "AND CAST(\(x) AS TEXT) = \(text) COLLATE BINARY) "
                    + "END)")
        }
        return "EXISTS (SELECT 1 FROM \(sourceSQL) AS s WHERE \(parts.joined(separator: " AND ")))"
    }
}
