import Dispatch
import EmbedSyncCore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SIGINT/SIGTERM: the first raises the stop signal (no new batches; in-flight ones commit), the second exits at once.
final class SignalHandlers: @unchecked Sendable {
    // @unchecked: `sources` is written once in init and only kept alive afterwards; nothing mutates it.
    private let sources: [any DispatchSourceSignal]

    init(stop: StopSignal) {
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if stop.isRaised { exit(128 + number) }
                stop.raise()
                let note = "\nStopping: finishing the batches in flight (signal again to quit at once).\n"
                FileHandle.standardError.write(Data(note.utf8))
            }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }
}
