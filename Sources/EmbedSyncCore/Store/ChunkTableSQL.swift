/// The chunk table's statements in SQLite's dialect, shared by SQLite and libSQL (`<target>_chunks`).
///
/// Columns: `row_id` (the target's id), `chunk` (0-based), `span_start` and `span_end` (UTF-8 byte offsets into the
/// row's rendered text, end exclusive), `text`, `embedding` (`F32_BLOB(d)`: little-endian float32), `content_hash`
/// (the row's), `model`. A trigger deletes a row's chunks when its row leaves the target, so every way a store
/// prunes rows prunes their chunks.
package struct ChunkTableSQL: Sendable {
    /// The target table's name, unquoted.
    package let target: String

    package init(target: String) {
        self.target = target
    }

    /// The chunk table's name, unquoted.
    package var name: String { target + "_chunks" }
    var table: String { quoteIdentifier(name) }

    /// Creates the table, its row index and the pruning trigger when missing.
    package func create(idType: String, dimensions: Int) -> [String] {
        [
            """
            CREATE TABLE IF NOT EXISTS \(table) (
                row_id \(idType) NOT NULL, chunk INTEGER NOT NULL, span_start INTEGER NOT NULL,
                span_end INTEGER NOT NULL, text TEXT NOT NULL, embedding F32_BLOB(\(dimensions)) NOT NULL,
                content_hash TEXT NOT NULL, model TEXT NOT NULL, PRIMARY KEY (row_id, chunk))
            """,
            """
            CREATE TRIGGER IF NOT EXISTS \(quoteIdentifier(name + "_prune")) AFTER DELETE ON \(quoteIdentifier(target))
            BEGIN DELETE FROM \(table) WHERE row_id = OLD.id; END
            """,
        ]
    }

    /// Deletes one row's chunks (bind: row id).
    package var deleteRow: String { "DELETE FROM \(table) WHERE row_id = ?" }

    /// Inserts one chunk (bind: row id, chunk, start, end, text, vector BLOB, content hash, model).
    package var insert: String {
        """
        INSERT INTO \(table) (row_id, chunk, span_start, span_end, text, embedding, content_hash, model)
        VALUES (?, ?, ?, ?, CAST(? AS TEXT), ?, ?, ?)
        """
    }

    package var drop: String { "DROP TABLE IF EXISTS \(table)" }

    /// The searchable chunks of one model, a row's chunks together (bind: model, then the filter's values):
    /// `row_id, embedding, text` (`vector`: what to select as the vector, e.g. `c.embedding`). Only chunks of the
    /// row's current content hash and model in the target are read.
    package func searchable(vector: String, filterIDs: String?) -> String {
        var sql = """
            SELECT c.row_id, \(vector), c.text FROM \(table) AS c
            JOIN \(quoteIdentifier(target)) AS t ON t.id = c.row_id AND t.content_hash = c.content_hash
                AND t.model = c.model
            WHERE c.model = ?
            """
        if let filterIDs { sql += " AND c.row_id IN (\(filterIDs))" }
        return sql
    }

    /// A row's chunks in order (bind: ids as a JSON array).
    package var stored: String {
        """
        SELECT row_id, chunk, span_start, span_end, text, content_hash, model FROM \(table)
        WHERE row_id IN (SELECT j.value FROM json_each(?) AS j) ORDER BY row_id, chunk
        """
    }
}
