import EmbedSyncCore
import EmbedSyncSQLite
import EmbedSyncTesting
import Foundation
import Synchronization
import Testing

/// An embedder with a 30-token input limit (characters/4 counting) that rejects inputs containing "POISON"
/// and records every input it is sent.
final class SmallLimitEmbedder: Embedder, Sendable {
    let identity = ModelIdentity(provider: "scripted", model: "small-limit", dimensions: 8)
    let limits = ProviderLimits(maxInputs: 16, maxTokensPerInput: 30, maxTokensPerRequest: 1000, defaultBatchSize: 4)
    let tokenCounter: any TokenCounter = ApproximateTokenCounter(reason: "test")
    private let sent = Mutex<[[String]]>([])

    var requests: [[String]] { sent.withLock { $0 } }

    func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        sent.withLock { $0.append(texts) }
        if texts.contains(where: { $0.contains("POISON") }) {
            throw ProviderError(.rejected, "invalid input", statusCode: 400)
        }
        return EmbeddingResponse(
            vectors: texts.map { FakeProviderServer.vector(for: $0, dimensions: 8) }, billedTokens: nil)
    }
}

@Suite("Texts over the provider's token limit")
struct LongInputTests {
    /// 410 characters: 103 tokens by characters/4, so 4 pieces of at most 30 tokens (120 characters).
    static let longBody = (0..<41).map { "word\($0 % 10)xyz " }.joined()

    func run(_ db: ArticlesDatabase, _ embedder: SmallLimitEmbedder, policy: LongInputPolicy) async throws -> RunSummary
    {
        let store = try db.store()
        defer { Task { await store.close() } }
        return try await Runner(
            store: store, embedder: embedder,
            configuration: RunConfiguration(template: try TextTemplate("{{body}}"), longInputs: policy),
            clock: TestClock()
        ).run()
    }

    /// The reference: 120-character slices, each weighted by its characters/4 token count, mean, unit length.
    func expectedChunkedVector(of text: String) -> [Float] {
        let scalars = Array(text.unicodeScalars)
        var sum = [Double](repeating: 0, count: 8)
        for start in stride(from: 0, to: scalars.count, by: 120) {
            var piece = String.UnicodeScalarView()
            piece.append(contentsOf: scalars[start..<min(start + 120, scalars.count)])
            let vector = FakeProviderServer.vector(for: String(piece), dimensions: 8)
            let weight = Double((piece.count + 3) / 4)
            for i in 0..<8 { sum[i] += Double(vector[i]) * weight }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return sum.map { Float($0 / norm) }
    }

    @Test("chunk: the pieces go in one request and the stored vector is their token-weighted mean, unit length")
    func chunkedRowStoresWeightedMean() async throws {
        let db = try ArticlesDatabase(count: 6)
        try db.execute("UPDATE articles SET body = ? WHERE id = 2", [Self.longBody])
        let embedder = SmallLimitEmbedder()
        let summary = try await run(db, embedder, policy: .chunk)
        #expect(summary.embedded == 6)
        #expect(summary.chunked == 1)
        #expect(summary.truncated == 0)
        let pieces = embedder.requests.flatMap { $0 }.filter { !$0.hasPrefix("Body of article") }
        #expect(pieces.count == 4)
        #expect(pieces.joined() == Self.longBody.trimmingCharacters(in: .whitespaces))
        #expect(
            embedder.requests.contains { request in pieces.allSatisfy(request.contains) }, "pieces split over requests")
        let stored = try #require(try db.vectors()[2])
        let expected = expectedChunkedVector(of: Self.longBody.trimmingCharacters(in: .whitespaces))
        #expect(zip(stored, expected).allSatisfy { abs($0 - $1) < 1e-6 }, "\(stored) vs \(expected)")
        #expect(try db.scalar("SELECT length(text) FROM articles_embeddings WHERE id = 2") == pieces.joined().count)
        // A second run finds every row fresh.
        #expect(try await run(db, SmallLimitEmbedder(), policy: .chunk).selected == 0)
    }

    @Test("truncate (the default): only the first 30 tokens are sent and the row counts as truncated")
    func truncatedRow() async throws {
        let db = try ArticlesDatabase(count: 3)
        try db.execute("UPDATE articles SET body = ? WHERE id = 2", [Self.longBody])
        let embedder = SmallLimitEmbedder()
        let summary = try await run(db, embedder, policy: .truncate)
        #expect(summary.truncated == 1)
        #expect(summary.chunked == 0)
        let text = String(Self.longBody.trimmingCharacters(in: .whitespaces).prefix(120))
        #expect(try db.vectors()[2] == FakeProviderServer.vector(for: text, dimensions: 8))
    }

    @Test("chunk: a rejected piece fails its row once, and the other rows are stored")
    func rejectedPieceFailsTheRow() async throws {
        let db = try ArticlesDatabase(count: 5)
        try db.execute("UPDATE articles SET body = ? WHERE id = 3", [Self.longBody + "POISON " + Self.longBody])
        let summary = try await run(db, SmallLimitEmbedder(), policy: .chunk)
        #expect(summary.failedIDs == [.int(3)])
        #expect(summary.failed == 1)
        #expect(summary.embedded == 4)
        #expect(try db.vectors()[3] == nil)
        #expect(try db.scalar("SELECT count(*) FROM embedsync_failures WHERE row_id = 3") == 1)
    }

    @Test("the estimate counts what each policy sends")
    func estimateFollowsPolicy() async throws {
        let db = try ArticlesDatabase(count: 2)
        try db.execute("UPDATE articles SET body = ? WHERE id = 2", [Self.longBody])
        let store = try db.store()
        let body = Self.longBody.trimmingCharacters(in: .whitespaces)
        for policy in LongInputPolicy.allCases {
            let embedder = SmallLimitEmbedder()
            let estimate = try await Estimator(
                store: store, model: embedder.identity, tokenCounter: embedder.tokenCounter, limits: embedder.limits,
                configuration: RunConfiguration(template: try TextTemplate("{{body}}"), longInputs: policy)
            ).estimate()
            #expect(estimate.rowsOverTokenLimit == 1)
            #expect(estimate.longInputs == policy)
            let shortRow = ("Body of article 1".unicodeScalars.count + 3) / 4
            let longRow =
                policy == .chunk
                ? [120, 120, 120, body.unicodeScalars.count - 360].reduce(0) { $0 + ($1 + 3) / 4 } : 30
            #expect(estimate.tokens == shortRow + longRow, "\(policy)")
        }
        await store.close()
    }
}
