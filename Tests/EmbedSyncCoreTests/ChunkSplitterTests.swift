import EmbedSyncCore
import EmbedSyncTesting
import Testing

@Suite("ChunkSplitter")
struct ChunkSplitterTests {
    let words = WordTokenCounter()

    func split(_ text: String, _ tokens: Int, overlap: Int = 0) -> [TextChunk] {
        ChunkSplitter(settings: ChunkSettings(tokens: tokens, overlap: overlap), counter: words).split(text)
    }

    @Test("a text within the limit is one chunk spanning its words, trimmed")
    func short() {
        let chunks = split("  hello there world \n", 5)
        #expect(chunks.map(\.text) == ["hello there world"])
        #expect(chunks.first.map { [$0.start, $0.end, $0.tokens] } == [2, 19, 3])
        #expect(split(" \n\t ", 5).isEmpty)
    }

    @Test("windows hold at most N tokens and cover every word, in order")
    func windows() {
        let text = (1...23).map { "w\($0)" }.joined(separator: " ")
        let chunks = split(text, 5)
        #expect(chunks.map(\.tokens) == [5, 5, 5, 5, 3])
        #expect(chunks.map(\.text).joined(separator: " ") == text)
        #expect(ChunkChecks.problems(chunks, of: text, settings: .init(tokens: 5), counter: words).isEmpty)
    }

    @Test("consecutive windows repeat at most M tokens", arguments: [1, 2, 4])
    func overlap(_ overlap: Int) {
        let text = (1...30).map { "w\($0)" }.joined(separator: " ")
        let chunks = split(text, 5, overlap: overlap)
        let settings = ChunkSettings(tokens: 5, overlap: overlap)
        #expect(ChunkChecks.problems(chunks, of: text, settings: settings, counter: words) == [])
        // Word-level windows: each starts exactly `overlap` words before the previous one ended.
        #expect(chunks[1].text.hasPrefix(chunks[0].text.split(separator: " ").suffix(overlap).joined(separator: " ")))
        #expect(chunks.count == Int((Double(30 - overlap) / Double(5 - overlap)).rounded(.up)))
    }

    @Test("a paragraph break in the second half of a window wins over a fuller window")
    func paragraphs() {
        let text = "one two three four five six.\n\nseven eight nine ten eleven twelve"
        #expect(split(text, 8).map(\.text) == ["one two three four five six.", "seven eight nine ten eleven twelve"])
    }

    @Test("a sentence end wins over a word break, a line break over a sentence end")
    func sentences() {
        let sentence = "a b c. d e f g h i j k l"
        #expect(split(sentence, 5).first?.text == "a b c.")
        let line = "a b c d.\ne f. g h i j k l"
        #expect(split(line, 7).first?.text == "a b c d.")
        let early = "a. b c d e f g h i j k l"  // a break in the first half is not worth a short chunk
        #expect(split(early, 6).first?.text == "a. b c d e f")
    }

    @Test("a word longer than a window is cut between characters, never inside one")
    func longWord() {
        let counter = ApproximateTokenCounter(reason: "test")  // 4 scalars a token
        let text = "ok " + String(repeating: "é日本😀", count: 20) + " end"
        let settings = ChunkSettings(tokens: 3, overlap: 1)
        let chunks = ChunkSplitter(settings: settings, counter: counter).split(text)
        #expect(chunks.count > 5)
        #expect(ChunkChecks.problems(chunks, of: text, settings: settings, counter: counter) == [])
        #expect(chunks.map(\.text).allSatisfy { !$0.unicodeScalars.contains("\u{FFFD}") })
    }

    @Test("the checks catch a window over the limit and lost text")
    func checksCanFail() {
        let text = "a b c d e f"
        var chunks = split(text, 2)
        #expect(chunks.count == 3)
        #expect(
            ChunkChecks.problems(chunks, of: text, settings: .init(tokens: 1), counter: words).contains {
                $0.contains("over 1")
            })
        chunks.remove(at: 1)
        #expect(
            ChunkChecks.problems(chunks, of: text, settings: .init(tokens: 2), counter: words).contains {
                $0.contains("text lost")
            })
    }

    @Test("settings outside the model's window, or an overlap not under N, are usage errors")
    func settings() throws {
        let model = ModelIdentity(provider: "test", model: "words", dimensions: 4)
        let limits = ProviderLimits(
            maxInputs: 8, maxTokensPerInput: 256, maxTokensPerRequest: 1000, defaultBatchSize: 8)
        try ChunkSettings(tokens: 256, overlap: 255).check(limits: limits, counter: words, model: model)
        for bad in [ChunkSettings(tokens: 257), ChunkSettings(tokens: 0), ChunkSettings(tokens: 8, overlap: 8)] {
            #expect(throws: EmbedSyncError.self) { try bad.check(limits: limits, counter: words, model: model) }
        }
    }

    @Test("a row ranks by its best chunk, each row once, best first")
    func ranking() {
        var ranking = BestChunkRanking(k: 2, minScore: 0.1)
        ranking.add(id: .int(1), score: 0.2, text: "one a")
        ranking.add(id: .int(1), score: 0.9, text: "one b")
        ranking.add(id: .int(2), score: 0.5, text: "two")
        ranking.add(id: .int(3), score: 0.05, text: "three")
        ranking.add(id: .int(4), score: 0.4, text: "four")
        let hits = ranking.finish()
        #expect(hits.map(\.id) == [.int(1), .int(2)])
        #expect(hits.map(\.storedText) == ["one b", "two"])
    }
}
