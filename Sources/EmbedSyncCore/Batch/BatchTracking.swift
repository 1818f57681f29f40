/// A store that keeps the bookkeeping of Batch API jobs beside the vectors: which batches are pending, and what each
/// request line (`custom_id`) of their input files stands for.
///
/// A batch is recorded, with all its requests, in one transaction after its file is uploaded and before the batch is
/// created at the provider; a process killed in between finds the batch again by its input file. A row is in at most
/// one pending batch: recording a request for a row that is already pending throws, so two workers never send the same
/// row.
public protocol BatchTrackingStore: EmbeddingStore {
    /// Every batch not yet applied, oldest first.
    func pendingBatches() async throws -> [PendingBatch]

    /// The requests of a pending batch, in line order.
    func batchRequests(fileID: String) async throws -> [BatchRequestRecord]

    /// Those of `ids` that are in a pending batch.
    func pendingRows(_ ids: [RowID]) async throws -> Set<RowID>

    /// Records a batch and its requests in one transaction.
    /// - Throws: ``EmbedSyncError`` (`.database`) when one of the rows is already in a pending batch; nothing is
    /// recorded then.
    func recordBatch(_ batch: PendingBatch, requests: [BatchRequestRecord]) async throws

    /// Stores what the provider reported: the batch id once it is created, its status and counts.
    func updateBatch(_ batch: PendingBatch) async throws

    /// Forgets a batch and its requests: it was applied.
    func removeBatch(fileID: String) async throws
}

/// A batch EmbedSync submitted and has not applied yet.
public struct PendingBatch: Sendable, Equatable {
    /// The uploaded input file's id: the batch's key in the bookkeeping.
    public var fileID: String
    /// The provider's batch id; `nil` until the batch is known to be created.
    public var batchID: String?
    public var status: BatchStatus
    /// The model identity (``ModelIdentity/storageKey``) the requests are for.
    public var model: String
    /// Unix time of submission.
    public var createdAt: Double
    /// Request lines (one per row) and rows in the file.
    public var requests: Int
    /// Tokens sent, as counted before submission.
    public var tokens: Int
    /// The provider's `request_counts` as last seen.
    public var completed: Int
    public var failed: Int

    public init(
        fileID: String, batchID: String? = nil, status: BatchStatus = .submitting, model: String, createdAt: Double,
        requests: Int, tokens: Int, completed: Int = 0, failed: Int = 0
    ) {
        self.fileID = fileID
        self.batchID = batchID
        self.status = status
        self.model = model
        self.createdAt = createdAt
        self.requests = requests
        self.tokens = tokens
        self.completed = completed
        self.failed = failed
    }
}

/// What one request line of a batch stands for.
public struct BatchRequestRecord: Sendable, Equatable {
    /// The line's `custom_id`, unique within its file.
    public var customID: String
    /// The line number in the input file (1-based), which a failed batch's errors name.
    public var line: Int
    public var rowID: RowID
    /// The content hash of the text that was sent: the vector is applied only while the row still has it.
    public var contentHash: String
    /// Which of the row's vectors this is (0 for a row embedded whole).
    public var chunk: Int

    public init(customID: String, line: Int, rowID: RowID, contentHash: String, chunk: Int = 0) {
        self.customID = customID
        self.line = line
        self.rowID = rowID
        self.contentHash = contentHash
        self.chunk = chunk
    }
}

/// The bookkeeping tables of Batch API jobs, shared by the SQL stores (SQLite and libSQL use this text as is;
/// PostgreSQL its own types).
package enum BatchTables {
    package static let batches = "embedsync_batches"
    package static let requests = "embedsync_batch_requests"

    /// SQLite/libSQL statements that create the tables, each safe to repeat.
    package static let sqliteCreate = [
        """
        CREATE TABLE IF NOT EXISTS embedsync_batches (
            target TEXT NOT NULL, file_id TEXT NOT NULL, batch_id TEXT, status TEXT NOT NULL, model TEXT NOT NULL,
            created_at REAL NOT NULL, updated_at REAL NOT NULL, requests INTEGER NOT NULL, tokens INTEGER NOT NULL,
            completed INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (target, file_id))
        """,
        """
        CREATE TABLE IF NOT EXISTS embedsync_batch_requests (
            target TEXT NOT NULL, file_id TEXT NOT NULL, custom_id TEXT NOT NULL, line INTEGER NOT NULL, row_id,
            content_hash TEXT NOT NULL, chunk INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (target, file_id, custom_id),
            UNIQUE (target, row_id, chunk))
        """,
    ]

    /// The duplicate-row refusal, as a message people can act on.
    package static func alreadyPending(_ detail: String) -> EmbedSyncError {
        EmbedSyncError(
            .database,
            """
            A row of this batch is already in a pending Batch API job (another run submitted it meanwhile); nothing \
            was recorded. Run again: it collects that job first. (\(detail))
            """)
    }
}
