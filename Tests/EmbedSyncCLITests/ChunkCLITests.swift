import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

@testable import EmbedSyncCLI

/// `--chunk-tokens` end to end with the real local model: words far past its 256-token window are found.
@Suite("embedsync with --chunk-tokens and the local model")
struct ChunkCLITests {
    /// About 400 WordPiece tokens about the sky, then one sentence about cooking.
    static let longRow: String = {
        let sentences = [
            "The telescope on the mountain observes distant galaxies every clear night.",
            "Astronomers measure the light of stars to learn their temperature and age.",
            "Jupiter has dozens of moons, and its great red spot is a storm larger than Earth.",
            "Comets leave trails of dust that become meteor showers when our planet crosses them.",
            "The observatory dome opens at dusk and the instruments cool to the night air.",
        ]
        var text = ""
        for index in 0..<22 { text += sentences[index % sentences.count] + (index % 5 == 4 ? "\n\n" : " ") }
        return text + "The secret ingredient of grandmother's stew is smoked paprika from Hungary."
    }()

    static let rows: [Int: String] = [
        1: longRow,
        2: "A hearty vegetable stew recipe with potatoes, carrots, onions and a little salt.",
        3: "Football results from the weekend: the home team won three to one.",
        4: String(repeating: "Waves roll onto the sandy beach under a grey sky. ", count: 40)
            + "Coral reefs shelter fish.",
    ]

    func cli(_ arguments: [String]) async -> (status: Int32, out: String, err: String) {
        let venv = TestFiles.packageRoot().appendingPathComponent(".venv").path
        var environment = ProcessInfo.processInfo.environment
        environment["VIRTUAL_ENV"] = environment["VIRTUAL_ENV"] ?? venv
        let out = OutputSink.capture()
        let err = OutputSink.capture()
        let context = CLIContext(
            environment: environment, workingDirectory: TestFiles.packageRoot().path, stdout: out, stderr: err,
            stopSignal: StopSignal(), stderrIsTerminal: false)
        let status = await CLIContext.$current.withValue(context) { await EmbedSyncCLI.run(arguments) }
        return (status, out.captured, err.captured)
    }

    func json(_ text: String) throws -> LenientJSON { try LenientJSON.parse(Array(text.utf8)) }

    @Test("a phrase past the model's window finds its row first; edits replace chunks, deletes prune them")
    func endToEnd() async throws {
        let folder = try TestFiles.makeFolder("embedsync-chunks")
        let path = folder.appendingPathComponent("texts.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE texts (id INTEGER PRIMARY KEY, body TEXT, vec BLOB)")
            for (id, body) in Self.rows {
                try db.execute(sql: "INSERT INTO texts VALUES (?, ?, NULL)", arguments: [id, body])
            }
        }
        let flags = ["--database", path, "--table", "texts", "--template", "{{body}}"]
        let chunked = flags + ["--chunk-tokens", "128", "--chunk-overlap", "16"]
        func tables() async throws -> [String] {
            try await queue.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            }
        }

        let tooBig = await cli(["run"] + flags + ["--chunk-tokens", "300"])
        #expect(tooBig.status == 2)
        #expect(tooBig.err.contains("--chunk-tokens") && tooBig.err.contains("254"), "\(tooBig.err)")
        let overlap = await cli(["run"] + flags + ["--chunk-tokens", "64", "--chunk-overlap", "64"])
        #expect(overlap.status == 2 && overlap.err.contains("--chunk-overlap"), "\(overlap.err)")
        let column = await cli(["run"] + flags + ["--target-column", "vec", "--chunk-tokens", "64"])
        #expect(column.status == 2 && column.err.contains("table mode"), "\(column.err)")
        let targetPath = folder.appendingPathComponent("vectors.db").path
        let detached = await cli(["run"] + flags + ["--target-database", targetPath, "--chunk-tokens", "64"])
        #expect(detached.status == 2 && detached.err.contains("--chunk-tokens"), "\(detached.err)")
        let targetTables = try await DatabaseQueue(path: targetPath).read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        #expect(targetTables.isEmpty, "\(targetTables)")
        #expect(try await tables() == ["texts"], "refused runs write nothing")

        let estimate = try json(await cli(["estimate"] + chunked + ["--json"]).out)
        let chunkCount = try #require(estimate["chunks"]?.int)
        #expect(chunkCount >= 8, "the two long rows need several chunks each")
        let run = await cli(["run"] + chunked + ["--json"])
        #expect(run.status == 0, "\(run.err)")
        let summary = try json(run.out)
        #expect(summary["embedded"]?.int == 4)
        #expect(summary["chunks_embedded"]?.int == chunkCount, "the estimate counted the run's chunks")
        #expect(summary["tokens"]?.int == estimate["tokens"]?.int, "tokens count every chunk")

        let search = try json(await cli(["search", "smoked paprika from Hungary"] + chunked + ["--json"]).out)
        let results = search["results"]?.array ?? []
        #expect(results.first?["id"]?.int == 1, "\(results)")
        #expect(results.first?["text"]?.string?.contains("smoked paprika") == true)
        #expect(Set(results.compactMap { $0["id"]?.int }).count == results.count, "no row twice")
        #expect(results.count == 4)

        let status = try json(await cli(["status"] + chunked + ["--json"]).out)
        #expect(status["embedded"]?.int == 4 && status["stale"]?.int == 0 && status["missing"]?.int == 0)
        let otherSettings = try json(await cli(["status"] + flags + ["--chunk-tokens", "64", "--json"]).out)
        #expect(otherSettings["stale"]?.int == 4, "other chunk settings make every row stale")

        // Without chunks the model never reads the end of row 1.
        _ = await cli(["run"] + flags + ["--target-table", "plain"])
        let plain = try json(
            await cli(["search", "smoked paprika from Hungary", "--target-table", "plain", "--json"] + flags).out)
        #expect(plain["results"]?.array?.first?["id"]?.int != 1, "\(plain)")

        try await queue.write { db in
            try db.execute(sql: "UPDATE texts SET body = 'A short note on smoked paprika.' WHERE id = 1")
            try db.execute(sql: "DELETE FROM texts WHERE id = 4")
        }
        let again = await cli(["run"] + chunked)
        #expect(again.status == 0, "\(again.err)")
        #expect(again.out.contains("Chunks embedded"), "\(again.out)")
        let stored = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT row_id, text FROM texts_embeddings_chunks ORDER BY row_id, chunk")
                .map { (row: Row) -> (Int, String) in (row["row_id"], row["text"]) }
        }
        #expect(stored.filter { $0.0 == 1 }.map(\.1) == ["A short note on smoked paprika."], "row 1's chunks replaced")
        #expect(!stored.contains { $0.0 == 4 }, "row 4's chunks pruned")
        #expect(stored.contains { $0.0 == 2 }, "other rows keep theirs")
    }
}
