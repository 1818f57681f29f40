import Synchronization

/// One write at a time from this process to each libSQL server, in the order they asked.
///
/// sqld runs one write transaction at a time behind its own queue, so writers waiting inside the server gain nothing
/// over writers waiting here. They cost something: when a transaction outlives the server's 5 s limit while others wait
/// (a large write on a loaded machine), sqld 0.24 can leave its queue with every waiter parked and every core spinning,
/// answering no write again until it is restarted. With this gate, a process never has two writes waiting in the
/// server. Reads are not gated: they take no write lock.
actor WriteGate {
    private static let gates = Mutex<[String: WriteGate]>([:])

    /// The gate of the server at `base` (the URL without a path), shared by every client of it in this process.
    static func forServer(_ base: String) -> WriteGate {
        gates.withLock { gates in
            if let gate = gates[base] { return gate }
            let gate = WriteGate()
            gates[base] = gate
            return gate
        }
    }

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// Writes waiting for their turn.
    var waitingCount: Int { waiting.count }

    /// Runs `body` once no other write of this process to the server is running.
    nonisolated func run<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await enter()
        do {
            let result = try await body()
            await leave()
            return result
        } catch {
            await leave()
            throw error
        }
    }

    private func enter() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    private func leave() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
