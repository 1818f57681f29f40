import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import GRDB
import Testing

/// `run --batch-api` through the CLI against the fake provider's Files + Batch API (statuses, faults, shuffled
/// output lines), on a real SQLite file.
@Suite("embedsync run --batch-api")
struct CLIBatchAPITests {
    /// Every stored vector is the fake provider's vector of the stored text: nothing mixed up between rows.
    func checkVectors(_ cli: CLIHarness) throws -> Int {
        let queue = try DatabaseQueue(path: cli.databasePath)
        defer { try? queue.close() }
        let rows = try queue.read { try Row.fetchAll($0, sql: "SELECT id, embedding, text FROM products_embeddings") }
        for row in rows {
            let vector = VectorCodec.decode(row["embedding"] as Data) ?? []
            let text: String = row["text"]
            #expect(vector == FakeProviderServer.vector(for: text, dimensions: 16), "row \(row["id"] as Int)")
        }
        return rows.count
    }

    @Test("a run submits and returns at once; a later run applies every row once, at the batch price")
    func submitThenCollect() async throws {
        let cli = try await CLIHarness.make(rows: 30)
        defer { Task { try? await cli.shutdown() } }
        let flags = cli.providerFlags + ["--batch-api", "--json"]
        let price = ["EMBEDSYNC_PRICE_PER_MILLION": "2"]
        let first = await cli.run(["run"] + flags + ["--batch-api-size", "7"], environment: price)
        #expect(first.status == 0, "\(first.stderr)")
        let submitted = try first.json()
        #expect(submitted["selected"]?.int == 30)
        #expect(submitted["embedded"]?.int == 0)
        #expect(submitted["batch"]?["submitted_batches"]?.int == 5)
        #expect(submitted["batch"]?["pending_rows"]?.int == 30)
        #expect(try cli.scalar("SELECT count(*) FROM embedsync_batch_requests") == 30)

        let status = try await cli.run(["status"] + cli.providerFlags + ["--json"]).json()
        #expect(status["batches"]?.array?.count == 5)
        #expect(status["batches"]?.array?.first?["rows"]?.int == 7)

        let second = await cli.run(["run"] + flags + ["--wait"], environment: price)
        #expect(second.status == 0, "\(second.stderr)")
        let collected = try second.json()
        #expect(collected["embedded"]?.int == 30)
        #expect(collected["batch"]?["collected_batches"]?.int == 5)
        #expect(collected["batch"]?["pending_batches"]?.int == 0)
        let tokens = collected["tokens"]?.int ?? 0
        #expect(tokens > 0)
        #expect(abs((collected["cost_usd"]?.number ?? 0) - Double(tokens) * 1.0 / 1_000_000) < 1e-12)
        #expect(try checkVectors(cli) == 30)
        #expect(cli.server.stats.inputsEmbedded == 0, "no synchronous /embeddings call in batch mode")
        #expect(cli.server.batchStats.submittedInputs.values.allSatisfy { $0 == 1 })
        #expect(try cli.scalar("SELECT count(*) FROM embedsync_batch_requests") == 0)

        let again = try await cli.run(["run"] + flags).json()
        #expect(again["selected"]?.int == 0)
        #expect(again["batch"]?["submitted_batches"]?.int == 0)
    }

    @Test("refused lines fail with their reason; a batch failing validation fails only the line it names")
    func refusals() async throws {
        let cli = try await CLIHarness.make(rows: 12)
        defer { Task { try? await cli.shutdown() } }
        try cli.execute("UPDATE products SET description = 'POISON here' WHERE id = 4")
        cli.server.planBatches(.fail(line: 2, code: "invalid_request", message: "scripted bad line"))
        let run = await cli.run(["run"] + cli.providerFlags + ["--batch-api", "--wait", "--json"])
        #expect(run.status == 1, "\(run.stderr)")
        let summary = try run.json()
        // Line 2 of the first file is row 2: it fails with the validation error. Row 4 is refused by the provider.
        #expect(summary["failed_ids"]?.array?.compactMap(\.int).sorted() == [2, 4])
        #expect(summary["embedded"]?.int == 10)
        let failures = try await cli.run(["status"] + cli.providerFlags + ["--failures", "--json"]).json()
        let messages = failures["failures"]?.array?.compactMap { $0["message"]?.string } ?? []
        #expect(messages.contains { $0.contains("scripted bad line") })
        #expect(messages.contains { $0.contains("HTTP 400") })
        #expect(try checkVectors(cli) == 10)
    }

    @Test("an expired batch's finished lines are applied and the rest sent again; nothing is applied twice")
    func expired() async throws {
        let cli = try await CLIHarness.make(rows: 20)
        defer { Task { try? await cli.shutdown() } }
        cli.server.planBatches(.expire(done: 8))
        let run = await cli.run(["run"] + cli.providerFlags + ["--batch-api", "--wait", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try run.json()
        #expect(summary["embedded"]?.int == 20)
        #expect(summary["batch"]?["resent"]?.int == 12)
        #expect(summary["batch"]?["submitted_rows"]?.int == 32)
        #expect(cli.server.batchStats.submittedLines == 32)
        #expect(try checkVectors(cli) == 20)
    }

    @Test("batch cancel: the next run applies what finished and sends the rest again")
    func cancel() async throws {
        let cli = try await CLIHarness.make(rows: 10)
        defer { Task { try? await cli.shutdown() } }
        cli.server.holdBatches()
        let submitted = await cli.run(["run"] + cli.providerFlags + ["--batch-api", "--quiet"])
        #expect(submitted.status == 0, "\(submitted.stderr)")
        let cancel = await cli.run(["batch", "cancel"] + cli.providerFlags + ["--json"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(try cancel.json()["cancelled"]?.array?.first?["status"]?.string == "cancelling")
        cli.server.releaseBatches()
        let run = await cli.run(["run"] + cli.providerFlags + ["--batch-api", "--wait", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["batch"]?["resent"]?.int == 5)
        #expect(try checkVectors(cli) == 10)
        #expect(cli.server.batchStatuses.values.contains("cancelled"))
    }

    @Test("a row edited while its batch is pending is not stored from that batch: it is sent again")
    func editedWhilePending() async throws {
        let cli = try await CLIHarness.make(rows: 6)
        defer { Task { try? await cli.shutdown() } }
        cli.server.holdBatches()
        _ = await cli.run(["run"] + cli.providerFlags + ["--batch-api", "--quiet"])
        try cli.execute("UPDATE products SET description = 'Rewritten while the batch was pending' WHERE id = 3")
        cli.server.releaseBatches()
        let run = await cli.run(["run"] + cli.providerFlags + ["--batch-api", "--wait", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["batch"]?["stale_on_arrival"]?.int == 1)
        #expect(try checkVectors(cli) == 6)
        let text = try cli.scalarText("SELECT text FROM products_embeddings WHERE id = 3")
        #expect(text.contains("Rewritten while the batch was pending"))
    }

    @Test("a lost answer to creating a batch does not create it twice")
    func lostCreateAnswer() async throws {
        let cli = try await CLIHarness.make(rows: 5)
        defer { Task { try? await cli.shutdown() } }
        cli.server.loseCreateAnswers(1)
        let run = await cli.run(["run"] + cli.providerFlags + ["--batch-api", "--wait", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(cli.server.batchStats.created.count == 1)
        #expect(try checkVectors(cli) == 5)
    }

    @Test("with --chunk-tokens every chunk of a row travels in one request line and is stored with its row")
    func chunks() async throws {
        let cli = try await CLIHarness.make(rows: 8)
        defer { Task { try? await cli.shutdown() } }
        let flags = cli.providerFlags + ["--batch-api", "--chunk-tokens", "6", "--json"]
        let run = await cli.run(["run"] + flags + ["--wait"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try run.json()
        let chunks = summary["chunks_embedded"]?.int ?? 0
        #expect(summary["embedded"]?.int == 8)
        #expect(chunks > 8, "several chunks per row: \(chunks)")
        #expect(cli.server.batchStats.submittedLines == 8, "one request line per row")
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings_chunks") == chunks)
        let queue = try DatabaseQueue(path: cli.databasePath)
        let stored = try await queue.read { db in
            try Row.fetchAll(db, sql: "SELECT embedding, text FROM products_embeddings_chunks")
        }
        try queue.close()
        for row in stored {
            let text: String = row["text"]
            #expect(
                VectorCodec.decode(row["embedding"] as Data) == FakeProviderServer.vector(for: text, dimensions: 16))
        }
        let again = try await cli.run(["run"] + flags).json()
        #expect(again["selected"]?.int == 0, "chunked rows are fresh after the batch")
    }

    @Test("--batch-api with the local model or OpenRouter is a usage error that writes nothing")
    func wrongProvider() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        defer { Task { try? await cli.shutdown() } }
        let before = try cli.dump()
        let run = await cli.run(
            [
                "run", "--database", cli.databasePath, "--table", "products", "--provider", "openrouter", "--batch-api",
            ], environment: ["OPENROUTER_API_KEY": "sk-or-test"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("Files and Batch API"))
        #expect(try cli.dump() == before)
    }
}

extension CLIHarness {
    func scalarText(_ sql: String) throws -> String {
        let queue = try DatabaseQueue(path: databasePath)
        defer { try? queue.close() }
        return try queue.read { try String.fetchOne($0, sql: sql) ?? "" }
    }
}
