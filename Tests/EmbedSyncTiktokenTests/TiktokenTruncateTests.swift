import EmbedSyncTiktoken
import Foundation
import Testing

@Suite("TiktokenEncoding.truncate")
struct TiktokenTruncateTests {
    let encoding: TiktokenEncoding

    init() throws {
        encoding = try TestResources.encoding.get()
    }

    @Test("returns text that already fits unchanged, with its count")
    func fitsUnchanged() {
        let result = encoding.truncate("hello world", maxTokens: 8192)
        #expect(result.text == "hello world")
        #expect(result.tokens == 2)
    }

    @Test("cuts to a prefix of at most maxTokens tokens", arguments: [1, 2, 5, 17, 100])
    func cutsToLimit(maxTokens: Int) {
        let text = (try? TestResources.fixture.get().cases.map(\.text).joined(separator: "\n")) ?? ""
        let result = encoding.truncate(text, maxTokens: maxTokens)
        #expect(text.hasPrefix(result.text))
        #expect(result.tokens <= maxTokens)
        #expect(result.tokens == encoding.count(result.text))
        #expect(result.tokens >= maxTokens - 1)
    }

    @Test("keeps exactly the first tokens of plain English")
    func keepsFirstTokens() {
        let result = encoding.truncate("The quick brown fox jumps over the lazy dog.", maxTokens: 4)
        #expect(result.text == "The quick brown fox")
        #expect(result.tokens == 4)
    }

    @Test("never splits a character whose bytes span several tokens")
    func neverSplitsCharacters() {
        // Each emoji takes several byte-level tokens; cutting inside one must drop it whole.
        let text = String(repeating: "🦀", count: 50)
        for limit in 1...12 {
            let result = encoding.truncate(text, maxTokens: limit)
            #expect(!result.text.contains("\u{FFFD}"))
            #expect(text.hasPrefix(result.text))
            #expect(result.tokens <= limit)
        }
    }

    @Test("a limit of zero gives empty text")
    func zeroLimit() {
        #expect(encoding.truncate("hello", maxTokens: 0) == ("", 0))
    }

    @Test("cuts a text over 8192 tokens to 8192")
    func embeddingsLimit() {
        let text = String(repeating: "Title: Dune\nGenre: Science fiction, 1965. ", count: 1_500)
        #expect(encoding.count(text) > 8192)
        let result = encoding.truncate(text, maxTokens: 8192)
        #expect(result.tokens == 8192)
        #expect(encoding.count(result.text) == 8192)
    }
}
