/// A provider's asynchronous Batch API (OpenAI's Files + Batches endpoints): requests go up as one JSONL file, and
/// the answers come back, within a day and at half the price, as output and error files.
///
/// ``BatchRunner`` drives it; `EmbedSyncOpenAI` implements it for `openai` and `openai-compatible`.
public protocol BatchService: Sendable {
    /// The model whose vectors the batches return (the same identity a synchronous run stores).
    var identity: ModelIdentity { get }
    /// Per-request limits (inputs, tokens per input and per request) every request line stays within.
    var limits: ProviderLimits { get }
    /// Counts tokens with the model's own tokenizer.
    var tokenCounter: any TokenCounter { get }

    /// One line of a batch input file: a `POST /v1/embeddings` request for `inputs`, tagged `customID`.
    func requestLine(customID: String, inputs: [String]) -> [UInt8]

    /// Uploads a JSONL file (`purpose=batch`). Returns the file's id.
    func upload(file path: String, bytes: Int, name: String) async throws -> String

    /// Creates a batch over an uploaded file.
    func create(inputFileID: String, metadata: [String: String]) async throws -> RemoteBatch

    /// The batch as the provider sees it now.
    func retrieve(_ batchID: String) async throws -> RemoteBatch

    /// The batch created over `inputFileID`, when there is one (a process killed after creating a batch, before
    /// recording its id, finds it so).
    func find(inputFileID: String) async throws -> RemoteBatch?

    /// Asks the provider to cancel a batch; finished requests stay delivered.
    func cancel(_ batchID: String) async throws -> RemoteBatch

    /// Reads a result file line by line, handing over `pageSize` parsed lines at a time (memory stays flat however
    /// large the file).
    func results(
        fileID: String, pageSize: Int, _ handle: ([BatchResultLine]) async throws -> Void
    ) async throws
}

/// A batch's state at the provider.
public enum BatchStatus: String, Sendable, CaseIterable {
    case validating
    case failed
    case inProgress = "in_progress"
    case finalizing
    case completed
    case expired
    case cancelling
    case cancelled
    /// Not reported by the provider yet: the file is uploaded and recorded, the batch not (known to be) created.
    case submitting

    /// Whether the batch will not change any more: its files can be read.
    public var isTerminal: Bool {
        switch self {
        case .failed, .completed, .expired, .cancelled: true
        case .validating, .inProgress, .finalizing, .cancelling, .submitting: false
        }
    }
}

/// A batch as the provider reports it.
public struct RemoteBatch: Sendable, Equatable {
    public var id: String
    public var status: BatchStatus
    public var inputFileID: String?
    public var outputFileID: String?
    public var errorFileID: String?
    /// Validation errors of a `failed` batch: the input line (1-based) when the error names one, and why.
    public var errors: [BatchValidationError]
    /// `request_counts`: total, completed, failed (advisory: outcomes come from the files).
    public var counts: (total: Int, completed: Int, failed: Int)

    public init(
        id: String, status: BatchStatus, inputFileID: String? = nil, outputFileID: String? = nil,
        errorFileID: String? = nil, errors: [BatchValidationError] = [], counts: (Int, Int, Int) = (0, 0, 0)
    ) {
        self.id = id
        self.status = status
        self.inputFileID = inputFileID
        self.outputFileID = outputFileID
        self.errorFileID = errorFileID
        self.errors = errors
        self.counts = counts
    }

    public static func == (lhs: RemoteBatch, rhs: RemoteBatch) -> Bool {
        lhs.id == rhs.id && lhs.status == rhs.status && lhs.inputFileID == rhs.inputFileID
            && lhs.outputFileID == rhs.outputFileID && lhs.errorFileID == rhs.errorFileID && lhs.errors == rhs.errors
            && lhs.counts == rhs.counts
    }
}

/// One entry of a failed batch's `errors`.
public struct BatchValidationError: Sendable, Equatable {
    /// The input file's line the error is about (1-based), when it names one.
    public var line: Int?
    public var code: String
    public var message: String

    public init(line: Int?, code: String, message: String) {
        self.line = line
        self.code = code
        self.message = message
    }
}

/// One line of an output or error file.
public struct BatchResultLine: Sendable {
    public enum Outcome: Sendable {
        /// HTTP 200: one vector per input, in input order, and the tokens billed (`usage`), when reported.
        case vectors([[Float]], tokens: Int?)
        /// The request was refused (4xx): the row fails with this reason.
        case rejected(status: Int, message: String)
        /// Not done, but may be sent again: a server error, a rate limit, or the batch expired or was cancelled
        /// first (`batch_expired`, `batch_cancelled`).
        case notDone(reason: String)
    }

    public var customID: String
    public var outcome: Outcome

    public init(customID: String, outcome: Outcome) {
        self.customID = customID
        self.outcome = outcome
    }
}

/// The Batch API's limits per batch (OpenAI's: 50,000 requests, 50,000 embedding inputs, a 200 MB input file).
public struct BatchLimits: Sendable, Equatable {
    public var maxRequests: Int
    public var maxInputs: Int
    public var maxFileBytes: Int

    public init(maxRequests: Int = 50_000, maxInputs: Int = 50_000, maxFileBytes: Int = 200_000_000) {
        self.maxRequests = maxRequests
        self.maxInputs = maxInputs
        self.maxFileBytes = maxFileBytes
    }
}
