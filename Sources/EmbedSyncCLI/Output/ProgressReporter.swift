import EmbedSyncCore
import Foundation
import Synchronization

/// Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise, nothing when quiet.
final class ProgressReporter: RunObserver, Sendable {
    private let sink: OutputSink
    private let terminal: Bool
    private let color: Bool
    private let quiet: Bool
    private let lastPrinted = Mutex<Double>(0)
    private let interval: Double
    private let clock = SystemClock()

    init(context: CLIContext, quiet: Bool) {
        sink = context.stderr
        terminal = context.stderrIsTerminal
        color = context.useColor
        self.quiet = quiet
        interval = terminal ? 0.1 : 5
    }

    func runProgressed(_ progress: RunProgress) {
        guard !quiet else { return }
        let now = clock.now()
        let due = lastPrinted.withLock { last -> Bool in
            if now - last < interval && progress.done < progress.selected { return false }
            last = now
            return true
        }
        guard due else { return }
        let line = ProgressReporter.describe(progress, barWidth: terminal ? 28 : 0, color: color)
        sink.write(terminal ? "\r\u{1B}[2K" + line : line + "\n")
    }

    func runNotice(_ message: String) {
        guard !quiet else { return }
        sink.write(
            (terminal ? "\r\u{1B}[2K" : "") + (color ? "\u{1B}[33m" : "") + message + (color ? "\u{1B}[0m" : "") + "\n")
    }

    /// Ends the bar's line on a terminal.
    func finish() {
        if terminal && !quiet { sink.write("\n") }
    }

    static func describe(_ progress: RunProgress, barWidth: Int, color: Bool) -> String {
        let total = max(progress.selected, progress.done)
        let fraction = total > 0 ? Double(progress.done) / Double(total) : 1
        let rate = progress.elapsedSeconds > 0 ? Double(progress.done) / progress.elapsedSeconds : 0
        let remaining = rate > 0 ? Double(total - progress.done) / rate : 0
        var parts: [String] = []
        if barWidth > 0 {
            let filled = Int((fraction * Double(barWidth)).rounded(.down))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled)
            parts.append(color ? "\u{1B}[32m\(bar)\u{1B}[0m" : bar)
        }
        parts.append("\(progress.done)/\(total)")
        parts.append(String(format: "%.0f%%", fraction * 100))
        parts.append(String(format: "%.1f rows/s", rate))
        parts.append(String(format: "$%.4f", progress.costUSD))
        if progress.failed > 0 { parts.append("\(progress.failed) failed") }
        parts.append("ETA \(formatDuration(remaining))")
        return parts.joined(separator: "  ")
    }
}

func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    if seconds < 60 { return String(format: "%.1fs", seconds) }
    if seconds < 3600 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
    return String(format: "%dh%02dm", Int(seconds) / 3600, Int(seconds) % 3600 / 60)
}
