import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

@testable import EmbedSyncCLI

/// `--precision int8` end to end: its vectors are another model's, never mixed with fp32's.
@Suite("embedsync run and search with --precision")
struct LocalPrecisionCLITests {
    /// Golden texts of at most 48 tokens (debug builds run the int8 kernel unoptimised), one per text.
    static func shortItems() throws -> [LocalModelCLITests.Golden.Item] {
        var seen = Set<String>()
        return try LocalModelCLITests.golden().items.filter {
            !$0.text.isEmpty && !$0.text.contains("{{") && $0.input_ids.count <= 48
                && $0.text.trimmingCharacters(in: .whitespacesAndNewlines) == $0.text && seen.insert($0.text).inserted
        }
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        let dot = zip(a, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let norms =
            a.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            * b.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        return dot / norms
    }

    func cli(_ arguments: [String], environment extra: [String: String] = [:]) async -> (Int32, String, String) {
        var environment = ProcessInfo.processInfo.environment
        environment["VIRTUAL_ENV"] =
            environment["VIRTUAL_ENV"] ?? TestFiles.packageRoot().appendingPathComponent(".venv").path
        environment["EMBEDSYNC_PRECISION"] = nil
        for (name, value) in extra { environment[name] = value }
        let out = OutputSink.capture()
        let err = OutputSink.capture()
        let context = CLIContext(
            environment: environment, workingDirectory: TestFiles.packageRoot().path, stdout: out, stderr: err,
            stopSignal: StopSignal(), stderrIsTerminal: false)
        let status = await CLIContext.$current.withValue(context) { await EmbedSyncCLI.run(arguments) }
        return (status, out.captured, err.captured)
    }

    @Test(
        """
        int8 re-embeds fp32 rows (stale), stores them under its own model key within cosine 0.99 of the reference, \
        and search refuses the other precision
        """
    )
    func switchingPrecision() async throws {
        let items = try Self.shortItems()
        #expect(items.count >= 20)
        let path = try TestFiles.makeFolder("embedsync-precision").appendingPathComponent("texts.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE texts (id INTEGER PRIMARY KEY, body TEXT)")
            for (index, item) in items.enumerated() {
                try db.execute(sql: "INSERT INTO texts VALUES (?, ?)", arguments: [index + 1, item.text])
            }
        }
        let flags = ["--database", path, "--table", "texts", "--template", "{{body}}", "--json"]
        func stored() async throws -> [(id: Int, model: String, vector: [Float])] {
            try await queue.read { db in
                try Row.fetchAll(db, sql: "SELECT id, model, embedding FROM texts_embeddings ORDER BY id").map {
                    ($0["id"], $0["model"], VectorCodec.decode($0["embedding"]) ?? [])
                }
            }
        }

        let (fp32Status, fp32Out, fp32Err) = await cli(["run"] + flags)
        #expect(fp32Status == 0, "\(fp32Err)")
        #expect(try LenientJSON.parse(Array(fp32Out.utf8))["embedded"]?.int == items.count)
        let fp32 = try await stored()
        #expect(fp32.allSatisfy { $0.model == "local/sentence-transformers/all-MiniLM-L6-v2@384" })

        let (int8Status, int8Out, int8Err) = await cli(["run"] + flags + ["--precision", "int8"])
        #expect(int8Status == 0, "\(int8Err)")
        let run = try LenientJSON.parse(Array(int8Out.utf8))
        #expect(run["embedded"]?.int == items.count, "switching precision marks every row stale")
        #expect(run["model"]?.string == "sentence-transformers/all-MiniLM-L6-v2:int8")
        let int8 = try await stored()
        #expect(int8.count == items.count)
        var worst = 1.0
        var closestToFP32 = 0.0
        for (row, before) in zip(int8, fp32) {
            #expect(row.model == "local/sentence-transformers/all-MiniLM-L6-v2:int8@384")
            let cosine = Self.cosine(row.vector, items[row.id - 1].embedding)
            worst = min(worst, cosine)
            closestToFP32 = max(closestToFP32, 1 - Self.cosine(row.vector, before.vector))
            #expect(cosine >= 0.99, "row \(row.id): \(items[row.id - 1].text.prefix(40))")
        }
        // The vectors really are int8's: not one of them equals the fp32 vector to float precision.
        #expect(closestToFP32 > 1e-6, "int8 vectors identical to fp32: was the precision ignored?")

        let (again, againOut, _) = await cli(["run"] + flags, environment: ["EMBEDSYNC_PRECISION": "int8"])
        #expect(again == 0)
        #expect(try LenientJSON.parse(Array(againOut.utf8))["embedded"]?.int == 0, "EMBEDSYNC_PRECISION=int8")

        let probe = items[items.count / 2]
        let (refused, _, refusedErr) = await cli(["search", probe.text] + flags + ["-k", "1"])
        #expect(refused != 0)
        #expect(refusedErr.contains(":int8@384") && refusedErr.contains("--precision"), "\(refusedErr)")

        let (found, foundOut, foundErr) = await cli(
            ["search", probe.text] + flags + ["-k", "1", "--precision", "int8"])
        #expect(found == 0, "\(foundErr)")
        let top = try LenientJSON.parse(Array(foundOut.utf8))["results"]?.array?.first
        #expect(top?["text"]?.string == probe.text)
        #expect((top?["score"]?.number ?? 0) > 0.99)
        try queue.close()
    }

    @Test("--precision rejects unknown values and int8 for remote providers; estimate projects int8 as faster")
    func precisionSettings() async throws {
        let path = try TestFiles.makeFolder("embedsync-precision").appendingPathComponent("many.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE texts (id INTEGER PRIMARY KEY, body TEXT)")
            for id in 1...2000 {
                try db.execute(
                    sql: "INSERT INTO texts VALUES (?, ?)", arguments: [id, "package \(id): a tool for everyday use"])
            }
        }
        try queue.close()
        let flags = ["--database", path, "--table", "texts", "--template", "{{body}}", "--json"]
        let (bad, _, badErr) = await cli(["estimate"] + flags + ["--precision", "int4"])
        #expect(bad == 2, "\(badErr)")
        #expect(badErr.contains("--precision must be fp32 or int8, not 'int4'"), "\(badErr)")
        let (badEnv, _, badEnvErr) = await cli(["estimate"] + flags, environment: ["EMBEDSYNC_PRECISION": "half"])
        #expect(badEnv == 2)
        #expect(badEnvErr.contains("EMBEDSYNC_PRECISION must be fp32 or int8, not 'half'"), "\(badEnvErr)")
        let (remote, _, remoteErr) = await cli(
            ["estimate"] + flags + ["--provider", "openai", "--precision", "int8"])
        #expect(remote == 2)
        #expect(remoteErr.contains("applies to the local model only"), "\(remoteErr)")

        func projected(_ extra: [String]) async throws -> Double {
            let (status, out, err) = await cli(["estimate"] + flags + extra)
            #expect(status == 0, "\(err)")
            return try LenientJSON.parse(Array(out.utf8))["projected_duration_s"]?.number ?? 0
        }
        let fp32 = try await projected([])
        let int8 = try await projected(["--precision", "int8"])
        #expect(fp32 == 4.0, "2000 rows at 500 texts/s")
        #expect(int8 > 0 && int8 < fp32 / 2, "int8 \(int8) s vs fp32 \(fp32) s")
    }
}
