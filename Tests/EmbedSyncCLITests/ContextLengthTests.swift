import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

/// Token counts are estimates offline and with `openai-compatible` servers: a row the estimate puts under the limit can
/// be over it. The provider's "maximum context length" 400 makes the run shorten the input and send it again.
@Suite("Inputs longer than the provider's context")
struct ContextLengthTests {
    /// 20,000 CJK characters: characters/4 says 5,000 tokens, the server (one token per character) counts 20,000.
    static let dense = String(repeating: "数据库向量", count: 4000)

    @Test("a row the estimate puts under 8,192 tokens but the provider counts over is shortened, stored, counted")
    func shortenedAfterContextLength() async throws {
        let cli = try await CLIHarness.make(rows: 10) { options in
            options.maxInputTokens = 8192
            options.tokenCount = { $0.unicodeScalars.count }
        }
        try cli.execute("UPDATE products SET description = '\(Self.dense)' WHERE id = 3")
        let run = await cli.run(["run"] + cli.providerFlags + ["--json", "--batch-size", "4"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try run.json()
        #expect(summary["embedded"]?.int == 10)
        #expect(summary["failed"]?.int == 0)
        #expect(summary["truncated"]?.int == 1)
        #expect(try cli.scalar("SELECT count(*) FROM products_embeddings") == 10)
        #expect(try cli.scalar("SELECT count(*) FROM embedsync_failures") == 0)
        // The long row reached the provider whole once (refused), then shortened to fit, keeping most of the window.
        let long = cli.server.stats.inputsSeen.filter { $0.contains("数据库") }.map(\.unicodeScalars.count)
        #expect(long.first.map { $0 > 8192 } == true, "\(long)")
        let embedded = cli.server.stats.embeddedCounts.filter { $0.key.contains("数据库") }
        #expect(embedded.count == 1, "the long row is embedded once")
        let kept = embedded.keys.first?.unicodeScalars.count ?? 0
        #expect(kept <= 8192 && kept >= 6000, "kept \(kept) of \(long.first ?? 0) characters")
        // Nothing is left to do.
        let again = try await cli.run(["run"] + cli.providerFlags + ["--json"]).json()
        #expect(again["selected"]?.int == 0)
        try await cli.shutdown()
    }

    @Test("a context-length 400 that states no counts: cut to the limit in bytes, then stored")
    func shortenedWithoutCounts() async throws {
        // A server that answers Ollama's wording (no numbers) counts UTF-8 bytes as tokens.
        let cli = try await CLIHarness.make(rows: 4) { options in
            options.maxInputTokens = 8192
            options.tokenCount = { $0.utf8.count }
            options.overflowMessage = "the input length exceeds the context length"
        }
        try cli.execute("UPDATE products SET description = '\(Self.dense)' WHERE id = 2")
        let run = await cli.run(["run"] + cli.providerFlags + ["--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try run.json()["truncated"]?.int == 1)
        let embedded = cli.server.stats.embeddedCounts.keys.filter { $0.contains("数据库") }
        #expect(embedded.count == 1)
        #expect(embedded.allSatisfy { $0.utf8.count <= 8192 })
        try await cli.shutdown()
    }
}
