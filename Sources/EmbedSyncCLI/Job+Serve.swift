import EmbedSyncCore
import Logging
import ServiceLifecycle

extension Job {
    /// Like ``with(_:extraFlags:readOnly:context:services:_:)`` for a process that serves until it is told to stop:
    /// the store's clients and the service `make` builds (the HTTP server) run in one `ServiceGroup`, which alone owns
    /// SIGINT and SIGTERM. On either it shuts the service down first (stop accepting, finish what is in flight), then
    /// closes the store, then stops the store's clients.
    static func serve(
        _ common: CommonOptions, extraFlags: [SettingKey: String], readOnly: Bool, context: CLIContext,
        logger: Logger, _ make: (Job) async throws -> any Service
    ) async throws {
        let (settings, providers, opened) = try await prepare(
            common, extraFlags: extraFlags, readOnly: readOnly, context: context)
        let slot = ServiceSlot { await opened.store.close() }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: (opened.services + [slot]).map {
                    ServiceGroupConfiguration.ServiceConfiguration(service: $0)
                },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                let job = try await Job(settings: settings, opened: opened, providers: providers, context: context)
                slot.fill(try await make(job))
            } catch {
                slot.fill(nil)
                try? await tasks.waitForAll()
                throw error
            }
            try await tasks.waitForAll()
        }
    }
}

/// A service known only once the group runs: the server needs the store, whose clients are services of the same
/// group. Runs the service it is given, then `finally` (closing the store) before the group stops the clients.
final class ServiceSlot: Service, Sendable {
    private let given: AsyncStream<(any Service)?>
    private let give: AsyncStream<(any Service)?>.Continuation
    private let finally: @Sendable () async -> Void

    init(finally: @escaping @Sendable () async -> Void) {
        (given, give) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.finally = finally
    }

    /// Hands over the service to run (`nil`: there is none; the group then ends).
    func fill(_ service: (any Service)?) {
        give.yield(service)
        give.finish()
    }

    func run() async throws {
        var iterator = given.makeAsyncIterator()
        guard let service = await iterator.next() ?? nil else {
            await finally()
            return
        }
        do {
            try await service.run()
        } catch {
            await finally()
            throw error
        }
        await finally()
    }
}
