import EmbedSyncCore
import Foundation

extension HranaClient {
    /// Reads and then writes in one transaction: two pipelines on one stream, with nothing but `decide` between them.
    ///
    /// The first pipeline runs `BEGIN IMMEDIATE` and `reads` (taking the write lock, so what they read cannot change
    /// before the commit); `decide` turns their results into the writes; the second pipeline runs the writes, `COMMIT`
    /// when they all succeed, `ROLLBACK` otherwise, and closes the stream. `decide` must not wait on anything slow:
    /// the server ends a transaction idle for 5 s. When the server did not run a pipeline (an expired stream, a 5xx)
    /// the whole transaction is tried again, and so it is when the server rolled it back (another writer took the
    /// lock after 5 s: `TRANSACTION_TIMEOUT`).
    /// - Returns: the writes' results.
    public func transaction(
        reads: [HranaStatement], decide: ([HranaResult]) throws -> [HranaStatement]
    ) async throws -> [HranaResult] {
        var attempt = 0
        while true {
            do {
                return try await transactionOnce(reads: reads, decide: decide)
            } catch let error as EmbedSyncError {
                guard attempt < configuration.maxRetries, let code = error.sqlState,
                    HranaClient.notRunCodes.contains(code) || HranaClient.rolledBackCodes.contains(code)
                else { throw error }
                attempt += 1
                logger.info(
                    "retrying a libSQL transaction",
                    metadata: ["embedsync.code": "\(code)", "embedsync.attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(200 * (1 << min(attempt, 5))))
            }
        }
    }

    private func transactionOnce(
        reads: [HranaStatement], decide: ([HranaResult]) throws -> [HranaStatement]
    ) async throws -> [HranaResult] {
        var steps = [HranaBatchStep(HranaStatement("BEGIN IMMEDIATE"))]
        for read in reads { steps.append(HranaBatchStep(read, when: .ok(steps.count - 1))) }
        let first = try await sendOpening([.batch(steps)])
        guard let baton = first.baton else { throw HranaClient.protocolError("no stream to continue the transaction") }
        let readResults: [HranaResult]
        let writes: [HranaStatement]
        do {
            readResults = try HranaClient.readResults(first.results[0], count: reads.count)
            writes = try decide(readResults)
        } catch {
            _ = try? await send([.execute(HranaStatement("ROLLBACK")), .close], baton: baton, writes: true)
            throw error
        }
        let second = try await send(
            [.batch(HranaClient.transactionSteps(writes, begin: false)), .close], baton: baton, writes: true)
        return try HranaClient.batchResults(second.results[0], count: writes.count, offset: 0)
    }

    /// Sends the pipeline that opens a transaction, again when the connection failed under it (a pooled connection
    /// the server had closed): it changes nothing before `COMMIT`, and a stream the server opened for a lost attempt
    /// expires on its own, so trying again is safe where a write's pipeline is not.
    private func sendOpening(_ requests: [HranaRequest]) async throws -> HranaPipelineResponse {
        var attempt = 0
        while true {
            do {
                return try await send(requests, baton: nil, writes: true)
            } catch let error as EmbedSyncError {
                guard attempt < configuration.maxRetries, error.sqlState == HranaClient.transportCode else {
                    throw error
                }
                attempt += 1
                logger.info("reopening a libSQL transaction", metadata: ["embedsync.attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(100 * (1 << min(attempt, 5))))
            }
        }
    }

    /// The results of BEGIN + reads (without COMMIT), or the first error.
    static func readResults(_ outcome: HranaOutcome, count: Int) throws -> [HranaResult] {
        switch outcome {
        case .error(let error): throw failure(error)
        case .ok(.batch(let results, let errors)):
            if let error = errors.compactMap({ $0 }).first { throw failure(error) }
            return try (1..<(1 + count)).map { index in
                guard index < results.count, let result = results[index] else {
                    throw protocolError("a read of the transaction was skipped")
                }
                return result
            }
        case .ok: throw protocolError("a batch answered with another response type")
        }
    }
}
