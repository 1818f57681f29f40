import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import GRDB
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `embedsync serve` binary on a table `embedsync run` embedded with the local model: the listening line,
/// the official `openai` Python SDK with its defaults, and SIGTERM.
@Suite("embedsync serve binary: openai SDK and SIGTERM", .serialized)
struct ServeBinaryTests {
    static var root: URL { TestFiles.packageRoot() }
    static var binary: URL { root.appendingPathComponent(".build/debug/embedsync") }
    static var python: URL { root.appendingPathComponent(".venv/bin/python") }
    static let texts = [
        "A tool to compress files", "Fast JSON parser written in C", "Lorem ipsum dolor sit amet",
        "Ein Werkzeug für Archive", "日本語のテキスト",
    ]

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["VIRTUAL_ENV"] = environment["VIRTUAL_ENV"] ?? Self.root.appendingPathComponent(".venv").path
        return environment
    }

    /// Runs the binary to the end, returning its status and stdout.
    func runToEnd(_ arguments: [String]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A table of the texts, embedded by `embedsync run --provider local`.
    func embeddedDatabase() throws -> String {
        let folder = try TestFiles.makeFolder("embedsync-serve-binary")
        let path = folder.appendingPathComponent("texts.db").path
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE texts (id INTEGER PRIMARY KEY, body TEXT)")
            for (index, text) in Self.texts.enumerated() {
                try db.execute(sql: "INSERT INTO texts VALUES (?, ?)", arguments: [index + 1, text])
            }
        }
        try queue.close()
        let (status, _) = try runToEnd(["run", "--database", path, "--table", "texts", "--template", "{{body}}"])
        #expect(status == 0)
        return path
    }

    @Test("serve prints its listening line; the openai SDK's vectors equal the stored ones; SIGTERM exits 0")
    func openAISDK() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("The embedsync binary is not at \(Self.binary.path): run `swift build` before `swift test`.")
            return
        }
        let path = try embeddedDatabase()
        let stored = try await DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT id, embedding FROM texts_embeddings ORDER BY id").map {
                VectorCodec.decode($0["embedding"]) ?? []
            }
        }
        #expect(stored.count == Self.texts.count)

        let process = Process()
        process.executableURL = Self.binary
        process.arguments = ["serve", "--database", path, "--table", "texts", "--template", "{{body}}", "--port", "0"]
        process.environment = environment
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
                "serve prints its listening line", timeout: 180,
                {
                    lines.withLock { $0.contains("\n") }
                })
        else { return }
        let line = lines.withLock { $0 }
        #expect(line.hasPrefix("listening on http://127.0.0.1:"), "\(line)")
        let base = line.trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(
            of: "listening on ", with: "")
        #expect(!base.hasSuffix(":0") && !base.hasSuffix(":8080"))

        if FileManager.default.isExecutableFile(atPath: Self.python.path),
            (try? runPython(["-c", "import openai"])) != nil
        {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("openai_sdk_check.py").path
            // Off the cooperative threads: the SDK's requests take a while, and the server under test needs them.
            let json = try await RawHTTP.offloaded {
                try ServeBinaryTests().runPython([script, base + "/v1", "all-MiniLM-L6-v2"] + Self.texts)
            }
            let result = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            #expect(result["models"] as? [String] == ["sentence-transformers/all-MiniLM-L6-v2"])
            for key in ["base64", "float"] {
                let vectors = (result[key] as? [[Double]]) ?? []
                #expect(vectors.count == stored.count, "\(key)")
                for (vector, reference) in zip(vectors, stored) {
                    #expect(vector.count == 384)
                    #expect(Self.cosine(vector, reference.map(Double.init)) >= 0.9999, "\(key)")
                }
            }
            let usage = result["usage"] as? [String: Int]
            let (_, estimate) = try runToEnd(
                ["estimate", "--database", path, "--table", "texts", "--template", "{{body}}", "--force", "--json"])
            let tokens = (try JSONSerialization.jsonObject(with: Data(estimate.utf8)) as? [String: Any])?["tokens"]
            #expect(usage?["prompt_tokens"] == tokens as? Int)
            #expect(usage?["total_tokens"] == usage?["prompt_tokens"])
            let errors = result["errors"] as? [String: [String: Any]] ?? [:]
            #expect(errors["unknown_model"]?["class"] as? String == "NotFoundError")
            #expect(errors["unknown_model"]?["code"] as? String == "model_not_found")
            #expect(errors["empty_input"]?["class"] as? String == "BadRequestError")
            #expect(errors["token_ids"]?["class"] as? String == "BadRequestError")
        } else {
            Issue.record(
                "Skipped the openai SDK check: \(Self.python.path) has no `openai` package (scripts/setup.sh --test).")
        }

        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("serve exits after SIGTERM", timeout: 60) { !process.isRunning }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        output.fileHandleForReading.readabilityHandler = nil
        #expect(lines.withLock { $0.split(separator: "\n").count } == 1)
    }

    @Test("serve --watch embeds a row inserted while it runs, in the same process; SIGTERM still exits 0")
    func keepFresh() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary.path) else {
            Issue.record("The embedsync binary is not at \(Self.binary.path): run `swift build` before `swift test`.")
            return
        }
        let path = try embeddedDatabase()
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = [
            "serve", "--database", path, "--table", "texts", "--template", "{{body}}", "--port", "0", "--watch", "0.2",
        ]
        process.environment = environment
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
        let stored = { () throws -> Int in
            try DatabaseQueue(path: path).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM texts_embeddings") }
                ?? 0
        }
        let queue = try DatabaseQueue(path: path)
        try await queue.write { try $0.execute(sql: "INSERT INTO texts VALUES (99, 'A freshly inserted row')") }
        try queue.close()
        try await waitUntil("the keep-fresh loop embeds the new row", timeout: 120) {
            try stored() == Self.texts.count + 1
        }
        guard
            try await waitUntil(
                "serve prints its listening line", timeout: 60, { lines.withLock { $0.contains("\n") } })
        else { return }
        let port = Int(
            lines.withLock { $0 }.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").last ?? "")
        try await waitUntil("/metrics counts the row the keep-fresh loop embedded", timeout: 60) {
            try await RawHTTP.get("/metrics", host: "localhost", port: port ?? 0)
                .contains("embedsync_rows_embedded_total 1")
        }
        try await waitUntil("/metrics counts the table's rows by state after the pass", timeout: 60) {
            let lines = try await RawHTTP.get("/metrics", host: "localhost", port: port ?? 0).split(separator: "\r\n")
                .flatMap { $0.split(separator: "\n") }.map(String.init)
            let embedded = #"embedsync_rows{state="embedded"} \#(Self.texts.count + 1)"#
            let missing = #"embedsync_rows{state="missing"} 0"#
            return [embedded, missing].allSatisfy { line in lines.contains { $0 == line || $0 == line + ".0" } }
        }
        // The vectors held in memory were read again: the new row is found.
        let found = try await RawHTTP.post(
            "/v1/search", json: #"{"query":"A freshly inserted row","k":1}"#, port: port ?? 0)
        #expect(found.contains(#""id":99"#), "\(found)")
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("serve exits after SIGTERM", timeout: 60) { !process.isRunning }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        output.fileHandleForReading.readabilityHandler = nil
    }

    func runPython(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = Self.python
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw EmbedSyncError(.usage, ErrorMessage("python failed: \(errorText.suffix(2000))"))
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func cosine(_ a: [Double], _ b: [Double]) -> Double {
        let dot = zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
        let norms = (a.reduce(0) { $0 + $1 * $1 } * b.reduce(0) { $0 + $1 * $1 }).squareRoot()
        return norms > 0 ? dot / norms : 0
    }
}

/// Waits until `condition` holds, checking every 50 ms; records a failure naming `what` after `timeout` seconds.
@discardableResult
func waitUntil(
    _ what: String, timeout: Double, sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if (try? await condition()) == true { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("Timed out after \(Int(timeout)) s waiting until \(what).", sourceLocation: sourceLocation)
    return false
}
