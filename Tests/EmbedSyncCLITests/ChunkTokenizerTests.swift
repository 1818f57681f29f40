import EmbedSyncCore
import EmbedSyncLocal
import EmbedSyncTesting
import EmbedSyncTiktoken
import Foundation
import Testing

/// Chunk splitting with the real tokenizers: the local model's WordPiece and OpenAI's cl100k_base.
@Suite("Chunk splitting with real tokenizers")
struct ChunkTokenizerTests {
    /// Long texts: prose with paragraphs, multi-byte words and emoji, Japanese without spaces, one giant "word".
    static let texts: [String] = {
        let words = [
            "the", "café", "naïve", "Zürich", "résumé", "embedding", "vector", "日本語", "😀", "👩‍👩‍👧", "über",
            "straße", "données", "Ελληνικά", "русский", "token", "window", "unbelievably", "München", "façade",
        ]
        var prose = ""
        var state: UInt64 = 42
        for sentence in 0..<120 {
            var parts: [String] = []
            for _ in 0..<(6 + sentence % 9) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                parts.append(words[Int(state >> 33) % words.count])
            }
            prose += parts.joined(separator: " ") + (sentence % 7 == 6 ? ".\n\n" : ". ")
        }
        let japanese = String(repeating: "日本語のテキストには空白がありません。東京は大きな都市です。", count: 40)
        let giant = String(repeating: "abcdéfghij😀", count: 120)
        return [prose, japanese, "start " + giant + " end", prose + "\n" + japanese]
    }()

    static let settings: [ChunkSettings] = [
        ChunkSettings(tokens: 254), ChunkSettings(tokens: 254, overlap: 32), ChunkSettings(tokens: 40, overlap: 10),
        ChunkSettings(tokens: 7, overlap: 3), ChunkSettings(tokens: 1),
    ]

    static func localEmbedder() throws -> LocalEmbedder {
        let venv = TestFiles.packageRoot().appendingPathComponent(".venv").path
        let environment = ProcessInfo.processInfo.environment
        let directory = try ModelLocator(
            modelDirectory: environment["EMBEDSYNC_MODEL_DIR"], environment: environment, extraPythonPrefixes: [venv]
        ).locate()
        return LocalEmbedder(model: try SentenceEmbeddingModel(directory: directory))
    }

    static let local: Result<LocalEmbedder, any Error> = Result { try localEmbedder() }

    static let cl100k: Result<any TokenCounter, any Error> = Result {
        TiktokenTokenCounter(
            encoding: try TiktokenEncoding.load(ranksFile: try TestFiles.sharedFile("data/cl100k_base.tiktoken")))
    }

    func check(_ counter: any TokenCounter, _ settings: ChunkSettings) {
        for (index, text) in Self.texts.enumerated() {
            let chunks = ChunkSplitter(settings: settings, counter: counter).split(text)
            let problems = ChunkChecks.problems(chunks, of: text, settings: settings, counter: counter)
            #expect(problems.isEmpty, "text \(index), \(settings): \(problems.prefix(5))")
            // BERT reads a word over 100 characters as one [UNK]: the giant word is one token there.
            let long = counter.count(text) - (counter.isExact ? counter.count("") : 0) > settings.tokens
            #expect(long ? chunks.count > 1 : chunks.count == 1, "text \(index): \(chunks.count) chunks")
        }
    }

    @Test("WordPiece: every chunk within N tokens and the model's window, overlap within M", arguments: settings)
    func wordPieceBounds(_ settings: ChunkSettings) throws {
        let counter = try Self.local.get().tokenCounter
        #expect(counter.count("") == 2, "[CLS] and [SEP]")
        check(counter, settings)
        if settings.tokens == 254 {
            // Full windows: the model reads every token of every chunk (256 with [CLS] and [SEP]).
            let chunks = ChunkSplitter(settings: settings, counter: counter).split(Self.texts[0])
            #expect(chunks.allSatisfy { $0.tokens <= 256 })
            // Cut at paragraph ends when one falls in a window's second half, so no window is under half full.
            #expect(chunks.dropLast().allSatisfy { $0.tokens > 100 }, "\(chunks.map(\.tokens))")
        }
    }

    @Test("cl100k_base: every chunk within N tokens, overlap within M", arguments: settings)
    func cl100kBounds(_ settings: ChunkSettings) throws {
        check(try Self.cl100k.get(), settings)
    }

    @Test("the local model's window is 254 tokens and OpenAI's 8192")
    func windows() throws {
        let local = try Self.local.get()
        #expect(ChunkSettings.window(limits: local.limits, counter: local.tokenCounter) == 254)
        #expect(ChunkSettings.window(limits: .openAI, counter: try Self.cl100k.get()) == 8192)
    }
}
