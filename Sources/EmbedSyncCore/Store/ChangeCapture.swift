/// A store that can record which source rows change, with triggers on the source table, so that a keep-fresh run
/// reads only those rows instead of every row (`embedsync changes enable`).
///
/// The triggers append the id of every inserted, updated or deleted row to a small change table, in the writer's own
/// transaction. A run reads the ids up to the newest entry, checks and embeds those rows as usual, prunes the vectors
/// of the deleted ones, and then deletes the entries it handled. What triggers cannot see (an edited template, another
/// model, a row changed while capture was off) is caught by a full check: a run reads every row when the last full
/// check is older than ``RunConfiguration/fullCheckEverySeconds`` or was made with another template or model.
public protocol ChangeCapturingStore: EmbeddingStore {
    /// Makes the change table and installs the triggers; safe to call again.
    /// - Throws: ``EmbedSyncError`` with code `.usage` for a source that is a query, not a table.
    func enableChangeCapture() async throws

    /// Removes the triggers, the change table and the capture state. Returns `false` when capture was not enabled.
    func disableChangeCapture() async throws -> Bool

    /// The capture state, or `nil` when capture is not enabled.
    func changeCapture() async throws -> CaptureState?

    /// Captured changes with sequence numbers in `after + 1 ... upTo`, in sequence order, at most `limit`.
    func capturedChanges(after: Int64, upTo: Int64, limit: Int) async throws -> [CapturedChange]

    /// In one transaction: deletes the captured entries up to `upTo` (a run handled them), appends `requeue` as new
    /// entries (rows that failed in that run, to be tried again by the next one), and records a full check.
    func consumeChanges(upTo: Int64, requeue: [RowID], fullCheck: FullCheck?) async throws

    /// Deletes the vectors and failure records of those of `ids` whose source row is gone. Returns how many.
    func pruneOrphans(ids: [RowID], run: RunRecord) async throws -> Int
}

/// What change capture holds for a target.
public struct CaptureState: Sendable, Equatable {
    /// Entries waiting in the change table.
    public var pending: Int
    /// The newest entry's sequence number (0 when none was ever recorded).
    public var latest: Int64
    /// Whether an entry stands for every row (PostgreSQL records a `TRUNCATE` so): the next run makes a full check.
    public var everything: Bool
    /// The last full check, when there was one since capture was enabled.
    public var fullCheck: FullCheck?

    public init(pending: Int, latest: Int64, everything: Bool, fullCheck: FullCheck?) {
        self.pending = pending
        self.latest = latest
        self.everything = everything
        self.fullCheck = fullCheck
    }
}

/// A completed run that read every row: what it checked against, and when it started.
public struct FullCheck: Sendable, Equatable {
    /// ``RowClassifier/fullCheckFingerprint``: the template and the model.
    public var fingerprint: String
    /// Unix time at which that run started reading rows.
    public var startedAt: Double

    public init(fingerprint: String, startedAt: Double) {
        self.fingerprint = fingerprint
        self.startedAt = startedAt
    }
}

/// One entry of the change table.
public struct CapturedChange: Sendable, Equatable {
    public var sequence: Int64
    /// The changed row's id; `nil` stands for every row.
    public var id: RowID?

    public init(sequence: Int64, id: RowID?) {
        self.sequence = sequence
        self.id = id
    }
}

extension RowClassifier {
    /// What a full check is valid for: the template and the model (rows checked with another template or model say
    /// nothing about this one).
    public var fullCheckFingerprint: String {
        var hasher = ContentHasher()
        hasher.update(template.source)
        hasher.update([0x1f])
        hasher.update(model.storageKey)
        return hasher.finalize()
    }
}

/// How a run with change capture reads rows.
enum CapturePlan: Sendable {
    /// Only the captured changes up to this sequence number.
    case changes(upTo: Int64)
    /// Every row; then the entries up to this sequence number are handled and the full check is recorded.
    case fullCheck(upTo: Int64, FullCheck)
}

/// The names and the SQLite/libSQL statements of change capture, shared by the stores of that dialect.
package struct CaptureLayout: Sendable {
    /// The target table the capture belongs to.
    package let target: String
    /// The source table the triggers are on.
    package let source: String
    /// The source's id column.
    package let idColumn: String

    /// Refuses what triggers cannot serve: a query source, and column mode (the vectors are written into the source
    /// table itself, so every write would record the row again).
    package init(target: String, source: SourceSpec, idColumn: String, columnMode: Bool) throws {
        guard case .table(let table) = source else {
            throw EmbedSyncError(
                .usage,
                """
                Change capture needs a source table (triggers go on it); this source is a query (\(.query)). \
                Use \(.table) with a table or view of your own, or leave change capture off.
                """)
        }
        guard !columnMode else {
            throw EmbedSyncError(
                .usage,
                """
                Change capture works in table mode only: in column mode (\(.targetColumn)) EmbedSync writes into the \
                source table, which its triggers would record as changes.
                """)
        }
        self.target = target
        self.source = table
        self.idColumn = idColumn
    }

    /// Whether change capture can serve this source and target at all (a table source, table mode).
    package static func supports(_ source: SourceSpec, columnMode: Bool) -> Bool {
        if case .table = source { return !columnMode }
        return false
    }

    package var changes: String { "\(target)_changes" }
    package var triggers: [String] { ["insert", "update", "delete"].map { "\(target)_capture_\($0)" } }

    /// The change table, the state table and the three triggers (SQLite and libSQL), each statement safe to repeat.
    package var sqliteInstall: [String] {
        let changes = quoteIdentifier(self.changes)
        let source = quoteIdentifier(self.source)
        let id = quoteIdentifier(idColumn)
        let record = { (row: String) in "INSERT INTO \(changes) (row_id) VALUES (\(row).\(id));" }
        return [
            "CREATE TABLE IF NOT EXISTS \(changes) (seq INTEGER PRIMARY KEY AUTOINCREMENT, row_id)",
            """
            CREATE TABLE IF NOT EXISTS embedsync_capture (
                target TEXT PRIMARY KEY, source TEXT NOT NULL, fingerprint TEXT, full_check_at REAL)
            """,
            """
            CREATE TRIGGER IF NOT EXISTS \(quoteIdentifier(triggers[0])) AFTER INSERT ON \(source)
            BEGIN \(record("NEW")) END
            """,
            """
            CREATE TRIGGER IF NOT EXISTS \(quoteIdentifier(triggers[1])) AFTER UPDATE ON \(source)
            BEGIN \(record("NEW"))
                INSERT INTO \(changes) (row_id) SELECT OLD.\(id) WHERE OLD.\(id) IS NOT NEW.\(id); END
            """,
            """
            CREATE TRIGGER IF NOT EXISTS \(quoteIdentifier(triggers[2])) AFTER DELETE ON \(source)
            BEGIN \(record("OLD")) END
            """,
        ]
    }

    /// Statements that remove the triggers and the change table (the state row is deleted separately, bound).
    package var sqliteRemove: [String] {
        triggers.map { "DROP TRIGGER IF EXISTS \(quoteIdentifier($0))" }
            + ["DROP TABLE IF EXISTS \(quoteIdentifier(changes))"]
    }
}
