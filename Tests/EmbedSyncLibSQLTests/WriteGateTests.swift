import Synchronization
import Testing

@testable import EmbedSyncLibSQL

@Suite("WriteGate")
struct WriteGateTests {
    final class Tally: Sendable {
        let state = Mutex((active: 0, most: 0, order: [Int]()))
    }

    @Test("writes to one server run one at a time, in the order they asked; another server has its own gate")
    func oneAtATime() async throws {
        let gate = WriteGate.forServer("http://gate-test-\(UInt64.random(in: 0...UInt64.max))")
        #expect(WriteGate.forServer("http://other-\(UInt64.random(in: 0...UInt64.max))") !== gate)
        let tally = Tally()
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        @Sendable func write(_ number: Int, hold: Bool) async throws {
            try await gate.run {
                tally.state.withLock {
                    $0.active += 1
                    $0.most = max($0.most, $0.active)
                    $0.order.append(number)
                }
                if hold { for await _ in held { break } }
                tally.state.withLock { $0.active -= 1 }
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await write(0, hold: true) }
            while tally.state.withLock({ $0.order }).isEmpty { await Task.yield() }
            for number in 1...7 {
                group.addTask { try await write(number, hold: false) }
                // Until it waits for its turn (or, were the gate open, has run).
                while await gate.waitingCount < number, tally.state.withLock({ $0.order.count }) <= number {
                    await Task.yield()
                }
            }
            #expect(tally.state.withLock { $0.active } == 1)
            release.yield()
            try await group.waitForAll()
        }
        #expect(tally.state.withLock { $0.most } == 1)
        #expect(tally.state.withLock { $0.order } == Array(0...7))
        #expect(await gate.waitingCount == 0)
    }
}
