import EmbedSyncCore
import Foundation

/// OpenAI's Files + Batch API on the fake provider: `POST /v1/files` (multipart, `purpose=batch`), `POST /v1/batches`,
/// `GET /v1/batches[/ID]`, `POST /v1/batches/ID/cancel`, `GET /v1/files/ID/content`.
///
/// A batch moves one status per `GET /v1/batches/ID`: validating → in_progress → finalizing → its ending
/// (completed unless planned otherwise with ``planBatches(_:)``); ``holdBatches()`` keeps batches in progress until
/// ``releaseBatches()``. Output lines come back shuffled. Inputs with `POISON` are refused (HTTP 400, in the error
/// file), `FAIL500` fail with HTTP 500, `NAN!` return a NaN vector; a line the validator refuses fails the whole batch
/// with its line number, as OpenAI does.
extension FakeProviderServer {
    /// How a batch ends.
    public enum BatchPlan: Sendable, Equatable {
        case complete
        /// Expires after this many lines (in input order) were done; the rest are `batch_expired`.
        case expire(done: Int)
        /// Fails validation with this error (naming `line`, when given).
        case fail(line: Int?, code: String, message: String)
    }

    /// What the Batch API side has seen.
    public struct BatchStats: Sendable {
        public var uploads = 0
        public var created: [String] = []
        public var retrievals = 0
        public var cancels = 0
        public var listings = 0
        /// Every input of every created batch, with how often it was submitted.
        public var submittedInputs: [String: Int] = [:]
        /// Request lines of every created batch.
        public var submittedLines = 0
    }

    /// Plans for the next created batches, in order (later ones complete).
    public func planBatches(_ plans: BatchPlan...) {
        state.withLock { $0.batches.plans.append(contentsOf: plans) }
    }

    /// Keeps every batch in progress (after validation) until ``releaseBatches()``.
    public func holdBatches() {
        state.withLock { $0.batches.held = true }
    }

    /// Lets held batches move on again.
    public func releaseBatches() {
        state.withLock { $0.batches.held = false }
    }

    /// Fails the next `count` batch creations with HTTP 500 after creating the batch (the answer is lost).
    public func loseCreateAnswers(_ count: Int) {
        state.withLock { $0.batches.lostAnswers += count }
    }

    public var batchStats: BatchStats { state.withLock { $0.batches.stats } }

    /// The status of every batch, by id.
    public var batchStatuses: [String: String] {
        state.withLock { state in state.batches.batches.mapValues(\.status) }
    }
}

/// The fake Batch API's state.
struct BatchBook {
    var files: [String: FakeFile] = [:]
    var batches: [String: FakeBatch] = [:]
    var order: [String] = []
    var plans: [FakeProviderServer.BatchPlan] = []
    var held = false
    var lostAnswers = 0
    var nextID = 1
    var stats = FakeProviderServer.BatchStats()

    mutating func newID(_ prefix: String) -> String {
        defer { nextID += 1 }
        return "\(prefix)-\(String(format: "%06d", nextID))"
    }
}

struct FakeFile {
    var id: String
    var purpose: String
    var name: String
    var bytes: [UInt8]
    var createdAt: Int
}

struct FakeBatch {
    var id: String
    var inputFileID: String
    var status: String
    var plan: FakeProviderServer.BatchPlan
    var createdAt: Int
    var lines: [FakeRequestLine]
    var errors: [(line: Int?, code: String, message: String)] = []
    var outputFileID: String?
    var errorFileID: String?
    var completed = 0
    var failed = 0
    var cancelRequested = false
}

struct FakeRequestLine {
    var customID: String
    var inputs: [String]
    var model: String
    var dimensions: Int?
}
