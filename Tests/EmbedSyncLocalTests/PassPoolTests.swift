import Dispatch
import Foundation
import Synchronization
import Testing

@testable import EmbedSyncLocal

@Suite("PassPool")
struct PassPoolTests {
    /// What the passes saw, shared with the pool's threads.
    private final class Record: Sendable {
        let runs = Mutex<[String: Int]>([:])
        let running = Mutex((now: 0, most: 0))
        let sawSecond = Mutex<Bool?>(nil)
    }

    private static func pool(workers: Int) -> PassPool {
        PassPool(workers: workers) { EncoderScratch(hiddenSize: 4, intermediateSize: 8, headSize: 2) }
    }

    @Test("runs every pass of concurrent batches exactly once, on at most `workers` threads at a time")
    func everyPassOnce() async {
        let pool = Self.pool(workers: 2)
        let record = Record()
        await withTaskGroup(of: Void.self) { group in
            for batch in 0..<4 {
                group.addTask {
                    await withCheckedContinuation { continuation in
                        DispatchQueue.global().async {
                            pool.run(passes: 25) { index, _ in
                                record.running.withLock { running in
                                    running.now += 1
                                    running.most = max(running.most, running.now)
                                }
                                record.runs.withLock { $0["\(batch).\(index)", default: 0] += 1 }
                                record.running.withLock { $0.now -= 1 }
                            }
                            continuation.resume()
                        }
                    }
                }
            }
        }
        let counts = record.runs.withLock { $0 }
        #expect(counts.count == 100)
        #expect(counts.values.allSatisfy { $0 == 1 })
        #expect(record.running.withLock { $0.most } <= 2)
    }

    @Test("a thread left idle by a batch's last pass starts on the next batch before the first is done")
    func nextBatchFillsTheTail() {
        let pool = Self.pool(workers: 2)
        let record = Record()
        let secondStarted = DispatchSemaphore(value: 0)
        let firstDone = DispatchSemaphore(value: 0)
        // The first batch's last pass waits (up to 5 s) for the second batch to start.
        DispatchQueue.global().async {
            pool.run(passes: 2) { index, _ in
                guard index == 1 else { return }
                let arrived = secondStarted.wait(timeout: .now() + 5) == .success
                record.sawSecond.withLock { $0 = arrived }
            }
            firstDone.signal()
        }
        pool.run(passes: 1) { _, _ in secondStarted.signal() }
        firstDone.wait()
        #expect(record.sawSecond.withLock { $0 } == true)
    }

    @Test("threads end when no work is left, and start again for the next batch")
    func threadsEnd() {
        let pool = Self.pool(workers: 2)
        pool.run(passes: 4) { _, _ in }
        let deadline = DispatchTime.now() + 5
        while pool.threadCount > 0, DispatchTime.now() < deadline { usleep(1000) }
        #expect(pool.threadCount == 0)
        let record = Record()
        pool.run(passes: 3) { index, _ in record.runs.withLock { $0["\(index)"] = 1 } }
        #expect(record.runs.withLock { $0.count } == 3)
    }
}
