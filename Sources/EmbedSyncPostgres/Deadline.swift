import EmbedSyncCore
import Foundation
import Synchronization

/// Runs `body` but gives up after `seconds`, leaving it to finish (or not) on its own.
///
/// postgres-nio's pool can wait forever for a connection after the server closed every connection it had (seen with
/// `pg_terminate_backend` on all of a run's backends: about 1 run in 10 hung, with no connection left at the server),
/// and a query on a connection whose network went silent waits as long as the socket stays open. A bounded error lets
/// the run stop with a clear message and a rerun finish the job; structured cancellation would wait for the stuck task.
func withDeadline<T: Sendable>(
    seconds: Double, onTimeout: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let race = DeadlineRace(continuation)
        race.start(
            work: Task {
                do {
                    race.finish(.success(try await body()), byTimer: false)
                } catch {
                    race.finish(.failure(error), byTimer: false)
                }
            },
            timer: Task {
                guard (try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))) != nil else { return }
                race.finish(.failure(onTimeout()), byTimer: true)
            })
    }
}

/// The work and the timer of ``withDeadline(seconds:onTimeout:_:)``: the first to finish resumes the caller and
/// cancels the other.
final class DeadlineRace<T: Sendable>: Sendable {
    private let continuation: CheckedContinuation<T, any Error>
    private let state = Mutex<(done: Bool, work: Task<Void, Never>?, timer: Task<Void, Never>?)>((false, nil, nil))

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation = continuation
    }

    func start(work: Task<Void, Never>, timer: Task<Void, Never>) {
        let finished = state.withLock { state -> Bool in
            state.work = work
            state.timer = timer
            return state.done
        }
        if finished {
            work.cancel()
            timer.cancel()
        }
    }

    func finish(_ result: Result<T, any Error>, byTimer: Bool) {
        let loser = state.withLock { state -> Task<Void, Never>?? in
            guard !state.done else { return .none }
            state.done = true
            return .some(byTimer ? state.work : state.timer)
        }
        guard let loser else { return }
        continuation.resume(with: result)
        loser?.cancel()
    }
}
