import EmbedSyncCore
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a command may touch of the outside world; tests swap it to capture output and set the environment.
struct CLIContext: Sendable {
    var environment: [String: String]
    var workingDirectory: String
    var stdout: OutputSink
    var stderr: OutputSink
    var stopSignal: StopSignal
    /// Whether stderr is a terminal (progress bar and colour) .
    var stderrIsTerminal: Bool

    @TaskLocal static var current = CLIContext(
        environment: ProcessInfo.processInfo.environment,
        workingDirectory: FileManager.default.currentDirectoryPath,
        stdout: .standardOutput, stderr: .standardError, stopSignal: StopSignal(),
        stderrIsTerminal: isatty(STDERR_FILENO) == 1)

    /// Colour only on a terminal, and never with NO_COLOR.
    var useColor: Bool { stderrIsTerminal && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb" }
}

/// Where text goes: a file descriptor, or a buffer in tests.
final class OutputSink: Sendable {
    private let descriptor: Int32?
    private let buffer = Mutex<String>("")

    init(descriptor: Int32?) {
        self.descriptor = descriptor
    }

    static let standardOutput = OutputSink(descriptor: STDOUT_FILENO)
    static let standardError = OutputSink(descriptor: STDERR_FILENO)
    static func capture() -> OutputSink { OutputSink(descriptor: nil) }

    func write(_ text: String) {
        if let descriptor {
            var bytes = Array(text.utf8)
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeMutableBytes { raw -> Int in
                    guard let base = raw.baseAddress else { return -1 }
                    #if canImport(Glibc)
                    return Glibc.write(descriptor, base + offset, raw.count - offset)
                    #else
                    return Darwin.write(descriptor, base + offset, raw.count - offset)
                    #endif
                }
                if written <= 0 { break }
                offset += written
            }
        } else {
            buffer.withLock { $0 += text }
        }
    }

    func line(_ text: String) {
        write(text + "\n")
    }

    /// What was written, for a capturing sink.
    var captured: String { buffer.withLock { $0 } }
}
