import EmbedSyncCore
import Foundation

/// The chunk contract (``ChunkStore``), run through the ``Runner`` with ``KeywordEmbedder``: 8-word chunks
/// overlapping by 2 words.
extension StoreConformance {
    static let chunkCases: [Case] = [
        Case(description: "chunks: a phrase from the end of a long row finds that row first, once", body: chunkSearch),
        Case(
            description: "chunks: an edited row replaces all its chunks, a deleted row's are pruned", body: chunkEdits),
        Case(description: "chunks: one row's chunks are never mixed with another's", body: chunkRows),
    ]

    /// 40 filler words, then the phrase: far past one 8-word chunk.
    static let longRow = String(repeating: "lorem ", count: 40) + "purple zebra."
    static let otherLongRow = String(repeating: "ipsum ", count: 30) + "violet tiger"

    static func chunkRun(_ store: any EmbeddingStore) async throws -> RunSummary {
        var configuration = RunConfiguration(template: template)
        configuration.chunking = ChunkSettings(tokens: 8, overlap: 2)
        return try await Runner(store: store, embedder: KeywordEmbedder(), configuration: configuration).run()
    }

    static func chunkStore(_ fixture: Fixture) throws -> any ChunkStore {
        guard let store = fixture.store as? any ChunkStore else {
            throw ConformanceFailure(description: "the store does not keep chunks (ChunkStore)")
        }
        return store
    }

    static func searchChunks(
        _ store: any ChunkStore, _ query: String, k: Int = 10, minScore: Double? = nil, filter: SearchFilter? = nil
    ) async throws -> [SearchHit] {
        let embedder = KeywordEmbedder()
        return try await store.searchChunks(
            query: embedder.vector(query), model: embedder.identity, k: k, minScore: minScore, filter: filter,
            fields: [])
    }

    @Sendable static func chunkSearch(_ fixture: Fixture, _ harness: Harness) async throws {
        try await fixture.setTitle(4, longRow)
        let summary = try await chunkRun(fixture.store)
        let store = try chunkStore(fixture)
        let chunks = try await store.storedChunks(ids: [.int(4)])
        try expect(summary.embedded == 4, "every row is embedded (got \(summary.embedded))")
        try expect(chunks.count == 7, "42 words in 8-word chunks overlapping by 2 make 7 chunks (got \(chunks.count))")
        try expect(summary.chunksEmbedded == 10, "7 chunks and 3 single-chunk rows (got \(summary.chunksEmbedded))")
        try expect(chunks.map(\.number) == Array(0..<7), "chunks are numbered in order (got \(chunks.map(\.number)))")
        let bytes = Array(longRow.utf8)
        for chunk in chunks {
            let span = String(decoding: bytes[chunk.start..<chunk.end], as: UTF8.self)
            try expect(span == chunk.text, "chunk \(chunk.number)'s span is its text in the row (got '\(span)')")
        }
        let hits = try await searchChunks(store, "purple zebra")
        try expect(hits.first?.id == .int(4), "the long row comes first (got \(hits.map(\.id)))")
        try expect(hits.first?.storedText?.hasSuffix("purple zebra.") == true, "with its last chunk's text")
        try expect(Set(hits.map(\.id)).count == hits.count, "no row twice (got \(hits.map(\.id)))")
        try expect(hits.count == 4, "every row once (got \(hits.map(\.id)))")
        let close = try await searchChunks(store, "purple zebra", minScore: 0.2)
        try expect(close.map(\.id) == [.int(4)], "min score applies to the best chunk (got \(close.map(\.score)))")
        let lorem = try await searchChunks(store, "lorem", k: 2)
        try expect(lorem.map(\.id).first == .int(4) && lorem.count == 2, "k counts rows, not chunks (got \(lorem))")
        let rerun = try await chunkRun(fixture.store)
        try expect(rerun.embedded == 0 && rerun.chunksEmbedded == 0, "a second run finds every row fresh")
        if harness.supportsSQLFilter {
            let filtered = try await searchChunks(store, "purple zebra", filter: "title LIKE 'alpha%'")
            try expect(filtered.map(\.id) == [.int(1)], "the filter applies to rows (got \(filtered.map(\.id)))")
        }
    }

    @Sendable static func chunkEdits(_ fixture: Fixture, _ harness: Harness) async throws {
        try await fixture.setTitle(4, longRow)
        _ = try await chunkRun(fixture.store)
        let store = try chunkStore(fixture)
        try await fixture.setTitle(4, "a short zebra")
        let edited = try await chunkRun(fixture.store)
        try expect(edited.embedded == 1 && edited.chunksEmbedded == 1, "only the edited row is embedded again")
        let chunks = try await store.storedChunks(ids: [.int(4)])
        try expect(chunks.map(\.text) == ["a short zebra"], "its old chunks are gone (got \(chunks.map(\.text)))")
        let hits = try await searchChunks(store, "purple lorem")
        try expect(!hits.contains { $0.storedText?.contains("lorem") == true }, "no old chunk is found")
        try await fixture.deleteRow(4)
        let pruned = try await chunkRun(fixture.store)
        try expect(pruned.pruned == 1, "the deleted row is pruned (got \(pruned.pruned))")
        try await expect(try await store.storedChunks(ids: [.int(4)]).isEmpty, "with its chunks")
        let after = try await searchChunks(store, "zebra")
        try expect(!after.contains { $0.id == .int(4) }, "and search never returns it (got \(after.map(\.id)))")
    }

    @Sendable static func chunkRows(_ fixture: Fixture, _ harness: Harness) async throws {
        try await fixture.setTitle(4, longRow)
        try await fixture.setTitle(5, otherLongRow)
        _ = try await chunkRun(fixture.store)
        let store = try chunkStore(fixture)
        var classifier = classifier()
        classifier.chunking = ChunkSettings(tokens: 8, overlap: 2)
        let chunks = try await store.storedChunks(ids: [.int(4), .int(5)])
        for (id, row) in [(RowID.int(4), longRow), (.int(5), otherLongRow)] {
            let own = chunks.filter { $0.id == id }
            try expect(!own.isEmpty, "row \(id) has chunks")
            let bytes = Array(row.utf8)
            for chunk in own {
                let span = String(decoding: bytes[chunk.start..<chunk.end], as: UTF8.self)
                try expect(span == chunk.text, "row \(id)'s chunk \(chunk.number) is its own text (got '\(span)')")
                try expect(
                    chunk.contentHash == classifier.contentHash(text: row), "row \(id)'s chunks carry its content hash")
            }
        }
        let tiger = try await searchChunks(store, "violet tiger", k: 1)
        try expect(tiger.map(\.id) == [.int(5)], "the other row's phrase finds it (got \(tiger.map(\.id)))")
        try expect(tiger.first?.storedText?.contains("lorem") == false, "with its own chunk's text")
    }
}
