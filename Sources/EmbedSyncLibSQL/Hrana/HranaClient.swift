import AsyncHTTPClient
import EmbedSyncCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// A Hrana-over-HTTP client for libSQL servers (sqld, Turso): stateless pipelines, one short stream each.
///
/// Every call opens a stream, runs its requests and closes it in the same HTTP request, so no stream or transaction
/// outlives a call (the server expires an idle stream after 10 s and a transaction after 5 s): ``batch(_:)`` sends a
/// whole transaction in one request. Nothing holds sqld's write lock across two requests: a writer waiting for the
/// next request while other requests fill the connection pool deadlocks until the server's 5 s timeout, and sqld
/// 0.24's lock queue does not always recover from that timeout.
/// `/v3/pipeline` is used, falling back to `/v2/pipeline` on a server without v3.
public final class HranaClient: Sendable {
    /// Where the server is and how to authenticate.
    public struct Configuration: Sendable {
        public var url: LibSQLURL
        /// The bearer token (a JWT), or `nil` for a server without auth.
        public var authToken: String?
        /// The environment variable the token came from, for messages (never the token itself).
        public var tokenVariable: String
        /// Per-request timeout.
        public var timeout: Duration = .seconds(60)
        /// Retries of a pipeline that the server did not run (5xx, an expired stream), after the first attempt.
        public var maxRetries: Int = 4
        /// The largest response body read.
        public var maxResponseBytes: Int = 256 * 1024 * 1024
        /// A PEM file of the certificate authorities to trust for `https` instead of the system's bundle (on Linux,
        /// `/etc/ssl/certs/ca-certificates.crt` or `/etc/pki/tls/certs/ca-bundle.crt`, and `/etc/ssl/certs`): for a
        /// self-hosted sqld whose certificate a private CA signed. `nil` trusts the system's bundle.
        public var caFile: String?
        /// Where messages say ``caFile`` is set: the environment variable the CLI reads it from, as OpenSSL tools do.
        public var caFileVariable = "SSL_CERT_FILE"

        public init(url: LibSQLURL, authToken: String?, tokenVariable: String) {
            self.url = url
            self.authToken = authToken
            self.tokenVariable = tokenVariable
        }
    }

    /// One HTTP client for every libSQL store in the process (it is never shut down, like the provider's).
    public static let sharedClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout.connect = .seconds(10)
        // A server that stops sending mid-answer (a cursor streaming a large table included) fails after a minute.
        configuration.timeout.read = .seconds(60)
        // A refused connection fails at once: with retries on, the pool would keep reconnecting to a stopped server
        // until each request's deadline, and the pipeline's own bounded retries would multiply that into minutes.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 16
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public let configuration: Configuration
    let client: HTTPClient
    /// The TLS settings for `https` (`nil`: the client's, trusting the system's bundle), or why
    /// ``Configuration/caFile`` cannot be used.
    let tls: Result<TLSConfiguration?, EmbedSyncError>
    let redactor: Redactor
    let logger: Logger
    private let version = Mutex("v3")
    private let sent = Mutex(0)

    public init(_ configuration: Configuration, client: HTTPClient = HranaClient.sharedClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.redactor = Redactor(secrets: [configuration.authToken].compactMap { $0 })
        self.logger = logger
        self.tls = HranaClient.tlsConfiguration(caFile: configuration.caFile, variable: configuration.caFileVariable)
    }

    /// TLS that trusts only the certificates in `caFile`, as OpenSSL does when `SSL_CERT_FILE` names a file.
    static func tlsConfiguration(caFile: String?, variable: String) -> Result<TLSConfiguration?, EmbedSyncError> {
        guard let caFile else { return .success(nil) }
        do {
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            guard !certificates.isEmpty else { throw HranaClient.protocolError("no certificate") }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(certificates)
            return .success(tls)
        } catch {
            return .failure(
                EmbedSyncError(
                    .usage,
                    """
                    The CA file '\(caFile)' (\(variable)) is missing or holds no PEM certificate (\(error)). Point \
                    \(variable) at the PEM file of the certificate authority that signed the libSQL server's \
                    certificate.
                    """))
        }
    }

    /// Runs one statement on a fresh stream and returns its rows.
    public func execute(_ statement: HranaStatement) async throws -> HranaResult {
        let outcomes = try await pipeline([.execute(statement), .close], writes: false)
        return try HranaClient.result(outcomes[0], sql: statement.sql)
    }

    /// Runs several independent read statements in one round trip; each result lines up with its statement.
    public func executeAll(_ statements: [HranaStatement]) async throws -> [HranaResult] {
        guard !statements.isEmpty else { return [] }
        let outcomes = try await pipeline(statements.map { .execute($0) } + [.close], writes: false)
        return try zip(outcomes, statements).map { try HranaClient.result($0, sql: $1.sql) }
    }

    /// Whether a statement only reads, and the names of the columns it returns.
    public func describe(_ sql: String) async throws -> (isReadonly: Bool, columns: [String]) {
        let outcomes = try await pipeline([.describe(sql), .close], writes: false)
        switch outcomes[0] {
        case .ok(.describe(let readonly, let columns)): return (readonly, columns)
        case .error(let error): throw HranaClient.failure(error)
        case .ok: throw HranaClient.protocolError("a describe answered with another response type")
        }
    }

    /// Runs `statements` atomically in one pipeline: `BEGIN IMMEDIATE`, each statement only when the one before
    /// succeeded, `COMMIT` when the last did, `ROLLBACK` otherwise, then `close`.
    /// - Returns: each statement's result.
    /// - Throws: ``EmbedSyncError`` (`.database`) with the first failing statement's error; nothing was written.
    public func batch(_ statements: [HranaStatement]) async throws -> [HranaResult] {
        var attempt = 0
        while true {
            do {
                let outcomes = try await pipeline(
                    [.batch(HranaClient.transactionSteps(statements)), .close], writes: true)
                return try HranaClient.batchResults(outcomes[0], count: statements.count)
            } catch let error as EmbedSyncError {
                try await retryRolledBack(error, attempt: &attempt)
            }
        }
    }

    /// Codes of a transaction the server rolled back (another writer took the lock, or it outlived its 5 s): nothing
    /// of it was committed, so it can run again.
    static let rolledBackCodes: Set<String> = ["TRANSACTION_TIMEOUT", "TRANSACTION_BUSY", "SQLITE_BUSY"]

    /// Returns after a pause when `error` is a rolled-back transaction and retries are left; rethrows it otherwise.
    func retryRolledBack(_ error: EmbedSyncError, attempt: inout Int) async throws {
        guard attempt < configuration.maxRetries, let code = error.sqlState, HranaClient.rolledBackCodes.contains(code)
        else { throw error }
        attempt += 1
        logger.info(
            "retrying a rolled-back libSQL transaction",
            metadata: ["embedsync.code": "\(code)", "embedsync.attempt": "\(attempt)"])
        try await Task.sleep(for: .milliseconds(Int64.random(in: 50...250) * Int64(attempt)))
    }

    /// The atomic batch: BEGIN IMMEDIATE, statements chained on success, COMMIT, ROLLBACK when COMMIT did not run.
    static func transactionSteps(_ statements: [HranaStatement]) -> [HranaBatchStep] {
        var steps = [HranaBatchStep(HranaStatement("BEGIN IMMEDIATE"))]
        for statement in statements {
            steps.append(HranaBatchStep(statement, when: .ok(steps.count - 1)))
        }
        let commit = steps.count
        steps.append(HranaBatchStep(HranaStatement("COMMIT"), when: .ok(commit - 1)))
        steps.append(HranaBatchStep(HranaStatement("ROLLBACK"), when: .not(.ok(commit))))
        return steps
    }

    /// The statements' results from a transaction batch (BEGIN first, COMMIT and ROLLBACK last), or its first error.
    static func batchResults(_ outcome: HranaOutcome, count: Int) throws -> [HranaResult] {
        let offset = 1
        switch outcome {
        case .error(let error): throw failure(error)
        case .ok(.batch(let results, let errors)):
            if let error = errors.compactMap({ $0 }).first { throw failure(error) }
            guard results.count >= offset + count + 1, results[offset + count] != nil else {
                throw protocolError("the transaction did not commit")
            }
            return try (offset..<(offset + count)).map { index in
                guard let result = results[index] else { throw protocolError("a batch step was skipped") }
                return result
            }
        case .ok: throw protocolError("a batch answered with another response type")
        }
    }

    static func result(_ outcome: HranaOutcome, sql: String) throws -> HranaResult {
        switch outcome {
        case .ok(.execute(let result)): return result
        case .error(let error): throw failure(error)
        case .ok: throw protocolError("an execute answered with another response type")
        }
    }

    /// A server error as EmbedSync's error, its Hrana code kept typed as the ``DatabaseFailure``'s code.
    static func failure(_ error: HranaServerError) -> EmbedSyncError {
        EmbedSyncError(
            .database, "libSQL refused a statement: \(error.message)",
            underlying: DatabaseFailure(sqlState: error.code, message: error.message))
    }

    static func protocolError(_ what: String) -> EmbedSyncError {
        EmbedSyncError(
            .database, "The libSQL server's answer was not understood: \(what).",
            underlying: DatabaseFailure(sqlState: "HRANA_PROTOCOL", message: what))
    }

    var endpointVersion: String { version.withLock { $0 } }

    func useVersion2() { version.withLock { $0 = "v2" } }

    /// HTTP requests sent so far (what tests count: one per write batch).
    var requestsSent: Int { sent.withLock { $0 } }

    func countRequest() { sent.withLock { $0 += 1 } }
}

extension HranaClient.Configuration: SecretHolding {
    public var shownFields: KeyValuePairs<String, Any> {
        ["url": url, "authToken": Redacted.secret(authToken), "tokenVariable": tokenVariable]
    }
}
