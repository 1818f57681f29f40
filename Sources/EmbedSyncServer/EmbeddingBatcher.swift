import EmbedSyncCore
import Hummingbird
import ServiceLifecycle
import Synchronization

/// Coalesces concurrent requests' texts into model batches (dynamic batching, as text-embeddings-inference does)
/// through a bounded queue: a request that would overfill it gets 429 with `Retry-After`, and a request whose client
/// hung up before its batch started is not computed. Runs as a service of the server's `ServiceGroup`; on graceful
/// shutdown it finishes what is queued, then refuses new work.
final class EmbeddingBatcher: Service, Sendable {
    private struct Job: Sendable {
        let texts: [(text: String, tokens: Int)]
        let continuation: CheckedContinuation<[[Float]], any Error>
        let cancelled: StopSignal
    }

    private struct Queue {
        var jobs: [Job] = []
        var texts = 0
        var closed = false
    }

    let model: ServedModel
    let maxBatchTexts: Int
    let maxQueuedTexts: Int
    let metrics: ServerMetrics?
    private let queue = Mutex(Queue())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(model: ServedModel, maxBatchTexts: Int = 256, maxQueuedTexts: Int = 8192, metrics: ServerMetrics?) {
        self.model = model
        self.maxBatchTexts = max(1, maxBatchTexts)
        self.maxQueuedTexts = maxQueuedTexts
        self.metrics = metrics
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The vectors of prepared texts, in order, computed in a batch with whatever else is waiting.
    /// - Throws: ``APIError`` 429 when the queue is full, 503 once the server is shutting down.
    func embed(_ texts: [(text: String, tokens: Int)]) async throws -> [[Float]] {
        let cancelled = StopSignal()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let refusal = queue.withLock { queue -> APIError? in
                    if queue.closed {
                        return APIError(.serviceUnavailable, "The server is shutting down.", type: "server_error")
                    }
                    if queue.texts > 0, queue.texts + texts.count > maxQueuedTexts {
                        return APIError(
                            .tooManyRequests,
                            "The server's queue is full (\(queue.texts) texts waiting); retry after a second.",
                            type: "rate_limit_error", code: "queue_full", headers: [.retryAfter: "1"])
                    }
                    queue.jobs.append(Job(texts: texts, continuation: continuation, cancelled: cancelled))
                    queue.texts += texts.count
                    metrics?.queueDepth.set(Double(queue.texts))
                    return nil
                }
                if let refusal { continuation.resume(throwing: refusal) } else { wake.yield() }
            }
        } onCancel: {
            cancelled.raise()
        }
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                await drain()
            }
        } onGracefulShutdown: {
            self.wake.finish()
        }
        queue.withLock { $0.closed = true }
        await drain()
    }

    /// Runs batches until the queue is empty.
    private func drain() async {
        while let jobs = takeBatch() {
            let live = jobs.filter { job in
                guard job.cancelled.isRaised else { return true }
                job.continuation.resume(throwing: CancellationError())
                return false
            }
            guard !live.isEmpty else { continue }
            do {
                let vectors = try await model.embed(live.flatMap(\.texts), metrics: metrics)
                var offset = 0
                for job in live {
                    job.continuation.resume(returning: Array(vectors[offset..<offset + job.texts.count]))
                    offset += job.texts.count
                }
            } catch {
                for job in live { job.continuation.resume(throwing: error) }
            }
        }
    }

    /// Whole jobs from the head of the queue, up to `maxBatchTexts` texts (a larger job goes alone).
    private func takeBatch() -> [Job]? {
        queue.withLock { queue in
            guard !queue.jobs.isEmpty else { return nil }
            var count = 0
            var taken = 0
            while taken < queue.jobs.count, taken == 0 || count + queue.jobs[taken].texts.count <= maxBatchTexts {
                count += queue.jobs[taken].texts.count
                taken += 1
            }
            let jobs = Array(queue.jobs.prefix(taken))
            queue.jobs.removeFirst(taken)
            queue.texts -= count
            metrics?.queueDepth.set(Double(queue.texts))
            return jobs
        }
    }
}
