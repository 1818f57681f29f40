import Foundation
import Synchronization

/// Runs the encoder passes of every batch in flight on at most `workers` threads of its own.
///
/// A batch's passes are handed out in order to whichever thread asks first (a thread slowed down by other
/// processes does not hold the others up), and batches first come, first served: when a batch's last passes
/// leave a thread with nothing to do, it starts on the next batch the caller has already sent, instead of
/// idling until the batch is done. Threads start when work arrives and end when none is left; each keeps one
/// `EncoderScratch` while it lives, and a stack large enough for unoptimised (debug) builds of the kernels.
final class PassPool: Sendable {
    /// Runs pass `index` of a batch with the calling thread's scratch.
    typealias Pass = @Sendable (_ index: Int, _ scratch: EncoderScratch) -> Void

    private struct Batch {
        let id: Int
        let count: Int
        let run: Pass
        let finished: DispatchSemaphore
        /// The next pass to hand out.
        var next = 0
        /// Passes not yet finished.
        var remaining: Int
    }

    private struct State {
        var batches: [Batch] = []
        var threads = 0
        var nextID = 0
    }

    private let state = Mutex(State())
    private let workers: Int
    private let makeScratch: @Sendable () -> EncoderScratch

    init(workers: Int, makeScratch: @escaping @Sendable () -> EncoderScratch) {
        self.workers = max(1, workers)
        self.makeScratch = makeScratch
    }

    /// The threads alive now (for tests: they end when no work is left).
    var threadCount: Int { state.withLock { $0.threads } }

    /// Runs `run(0..<count)` on the pool's threads and returns when every pass has finished.
    func run(passes count: Int, _ run: @escaping Pass) {
        guard count > 0 else { return }
        let finished = DispatchSemaphore(value: 0)
        let starting = state.withLock { state in
            state.batches.append(
                Batch(id: state.nextID, count: count, run: run, finished: finished, remaining: count))
            state.nextID += 1
            let waiting = state.batches.reduce(0) { $0 + $1.count - $1.next }
            let more = max(0, min(workers, waiting) - state.threads)
            state.threads += more
            return more
        }
        for _ in 0..<starting {
            let thread = Thread { [self] in work() }
            thread.stackSize = 8 << 20
            thread.start()
        }
        finished.wait()
    }

    /// One thread's loop: the next pass of the oldest batch that has one, until none is left.
    private func work() {
        let scratch = makeScratch()
        while true {
            let taken: (id: Int, index: Int, run: Pass)? = state.withLock { state in
                guard let b = state.batches.firstIndex(where: { $0.next < $0.count }) else {
                    state.threads -= 1
                    return nil
                }
                state.batches[b].next += 1
                return (state.batches[b].id, state.batches[b].next - 1, state.batches[b].run)
            }
            guard let taken else { return }
            taken.run(taken.index, scratch)
            let done: DispatchSemaphore? = state.withLock { state in
                guard let b = state.batches.firstIndex(where: { $0.id == taken.id }) else { return nil }
                state.batches[b].remaining -= 1
                return state.batches[b].remaining == 0 ? state.batches.remove(at: b).finished : nil
            }
            done?.signal()
        }
    }
}
