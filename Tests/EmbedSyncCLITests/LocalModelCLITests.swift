import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

@testable import EmbedSyncCLI

/// `embedsync run --provider local` on a SQLite table: the stored vectors match Python sentence-transformers'.
@Suite("embedsync run with the local model")
struct LocalModelCLITests {
    struct Golden: Decodable {
        struct Item: Decodable {
            var text: String
            var embedding: [Float]
            var input_ids: [Int]
        }
        var items: [Item]
    }

    static func golden() throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: try TestFiles.sharedFile("golden/golden.json")))
    }

    @Test(
        """
        stored vectors have cosine ≥ 0.9999 to the reference, estimate counts WordPiece tokens exactly, search finds \
        each text
        """
    )
    func fidelity() async throws {
        let template = try TextTemplate("{{body}}")
        var seen = Set<String>()
        let items = try Self.golden().items.filter {
            !$0.text.isEmpty && template.render(["body": $0.text]) == $0.text && seen.insert($0.text).inserted
        }
        #expect(items.count > 40)
        let folder = try TestFiles.makeFolder("embedsync-local")
        let path = folder.appendingPathComponent("golden.db").path
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE texts (id INTEGER PRIMARY KEY, body TEXT)")
            for (index, item) in items.enumerated() {
                try db.execute(sql: "INSERT INTO texts VALUES (?, ?)", arguments: [index + 1, item.text])
            }
        }
        let venv = TestFiles.packageRoot().appendingPathComponent(".venv").path
        var environment = ProcessInfo.processInfo.environment
        environment["VIRTUAL_ENV"] = environment["VIRTUAL_ENV"] ?? venv
        let flags = ["--database", path, "--table", "texts", "--template", "{{body}}"]
        func cli(_ arguments: [String]) async -> (Int32, String, String) {
            let out = OutputSink.capture()
            let err = OutputSink.capture()
            let context = CLIContext(
                environment: environment, workingDirectory: TestFiles.packageRoot().path, stdout: out, stderr: err,
                stopSignal: StopSignal(),
                stderrIsTerminal: false)
            let status = await CLIContext.$current.withValue(context) { await EmbedSyncCLI.run(arguments) }
            return (status, out.captured, err.captured)
        }

        let (estimateStatus, estimateOut, estimateErr) = await cli(["estimate"] + flags + ["--json"])
        #expect(estimateStatus == 0, "\(estimateErr)")
        let estimate = try LenientJSON.parse(Array(estimateOut.utf8))
        #expect(estimate["tokens"]?.int == items.reduce(0) { $0 + $1.input_ids.count })
        #expect(estimate["tokens_exact"] == .bool(true))
        #expect(estimate["provider"]?.string == "local")
        #expect(estimate["dimensions"]?.int == 384)

        let (runStatus, _, runErr) = await cli(["run"] + flags + ["--json"])
        #expect(runStatus == 0, "\(runErr)")
        let stored = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, embedding FROM texts_embeddings ORDER BY id").map {
                row -> (Int, [Float]) in
                (row["id"], VectorCodec.decode(row["embedding"]) ?? [])
            }
        }
        #expect(stored.count == items.count)
        for (id, vector) in stored {
            let reference = items[id - 1].embedding
            let dot = zip(vector, reference).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            let norms =
                vector.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
                * reference.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(dot / norms >= 0.9999, "row \(id): \(items[id - 1].text.prefix(40))")
        }

        let probe = items[items.count / 2]
        let (searchStatus, searchOut, searchErr) = await cli(["search", probe.text] + flags + ["--json", "-k", "1"])
        #expect(searchStatus == 0, "\(searchErr)")
        let top = try LenientJSON.parse(Array(searchOut.utf8))["results"]?.array?.first
        #expect(top?["text"]?.string == probe.text)
        #expect((top?["score"]?.number ?? 0) > 0.9999)
        try queue.close()
    }
}
