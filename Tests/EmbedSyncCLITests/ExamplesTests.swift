import EmbedSyncTesting
import Foundation
import Testing

/// The programs in `Examples/`: built by the test command, and the pipeline one run on its own tiny table.
@Suite("Examples")
struct ExamplesTests {
    @Test("the pipeline example embeds five articles, nothing on its rerun, and finds the bread article first")
    func pipeline() throws {
        let root = TestFiles.packageRoot()
        let database = try TestFiles.makeFolder("embedsync-example").appendingPathComponent("articles.db").path
        let process = Process()
        process.executableURL = root.appendingPathComponent(".build/debug/embedsync-example-pipeline")
        process.arguments = [database, "how do I bake bread at home"]
        var environment = ProcessInfo.processInfo.environment
        environment["VIRTUAL_ENV"] = environment["VIRTUAL_ENV"] ?? root.appendingPathComponent(".venv").path
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.contains("run 1: embedded 5, failed 0, skipped 0"), "\(text)")
        #expect(lines.contains("run 2: embedded 0"), "\(text)")
        let search = try #require(lines.firstIndex(of: "search: how do I bake bread at home"), "\(text)")
        #expect(lines.count == search + 4, "three results")
        #expect(lines[search + 1].hasSuffix("  1  Title: Sourdough at home"), "\(text)")
    }
}
