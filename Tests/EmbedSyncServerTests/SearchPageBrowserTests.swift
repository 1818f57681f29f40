import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The search page in headless Chromium (Debian's `chromium` and `chromium-driver`, PyPI's `selenium`), against the
/// real binary: type a query, see the row. Skipped, saying why, where those are not installed.
@Suite("embedsync serve: the search page in a browser")
struct SearchPageBrowserTests {
    static var pageCheck: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("page_check.py").path
    }

    static var browserReady: Bool {
        let files = FileManager.default
        guard files.isExecutableFile(atPath: "/usr/bin/chromium"),
            files.isExecutableFile(atPath: "/usr/bin/chromedriver"),
            files.isExecutableFile(atPath: ServeBinaryTests.binary.path)
        else { return false }
        return (try? ServeBinaryTests().runPython(["-c", "import selenium"])) != nil
    }

    @Test(
        "typing a query shows the matching row first, with the table's coverage; a screenshot is saved",
        .enabled(if: browserReady, "needs chromium, chromium-driver and selenium (scripts/setup.sh --test)"))
    func typeAQuery() async throws {
        let binaryTests = ServeBinaryTests()
        let path = try binaryTests.embeddedDatabase()
        let process = Process()
        process.executableURL = ServeBinaryTests.binary
        process.arguments = ["serve", "--database", path, "--table", "texts", "--template", "{{body}}", "--port", "0"]
        process.environment = binaryTests.environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let lines = Mutex<String>("")
        output.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            lines.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        guard
            try await waitUntil(
                "serve prints its listening line", timeout: 180, { lines.withLock { $0.contains("\n") } })
        else { return }
        let base = lines.withLock { $0 }.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "listening on ", with: "")
        let artifacts = ServeBinaryTests.root.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        let screenshot = artifacts.appendingPathComponent("serve-search-page.png").path
        let json = try await RawHTTP.offloaded {
            try ServeBinaryTests().runPython([
                Self.pageCheck, base, "compressing archives", "A tool to compress files", screenshot,
            ])
        }
        let result = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let rows = result["rows"] as? [[String]] ?? []
        #expect(rows.first?.first == "1")
        #expect(rows.first?.last == "A tool to compress files")
        #expect((result["status"] as? String)?.contains("5 embedded") == true, "\(result["status"] ?? "")")
        #expect(result["error"] as? String == "")
        #expect((result["console"] as? [String])?.isEmpty == true, "\(result["console"] ?? "")")
        #expect(FileManager.default.fileExists(atPath: screenshot))
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("serve exits after SIGTERM", timeout: 60) { !process.isRunning }
        output.fileHandleForReading.readabilityHandler = nil
    }
}
