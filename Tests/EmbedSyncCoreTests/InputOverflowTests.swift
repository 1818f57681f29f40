import EmbedSyncCore
import Testing

@Suite("Provider refusals of inputs longer than the context")
struct InputOverflowTests {
    @Test(
        "each provider's wording is recognised, with the limit and the count it states",
        arguments: [
            (
                "This model's maximum context length is 8192 tokens, however you requested 9000 tokens (9000 in your "
                    + "prompt; 0 for the completion). Please reduce your prompt; or completion length.", 8192, 9000
            ),
            (
                "This model's maximum context length is 512 tokens. However, you requested 600 tokens in the input for "
                    + "embedding generation. Please reduce the length of the input.", 512, 600
            ),
            ("Input validation error: `inputs` must have less than 512 tokens. Given: 1,024", 512, 1024),
            ("You requested 9000 tokens, but the maximum input length is 8192 tokens.", 8192, 9000),
        ])
    func recognised(message: String, limit: Int, requested: Int) {
        #expect(InputOverflow.detect(message: message) == InputOverflow(limit: limit, requested: requested))
    }

    @Test("wording without counts is still an overflow; other refusals are not")
    func withoutCounts() {
        #expect(
            InputOverflow.detect(message: "the input length exceeds the context length")
                == InputOverflow(limit: nil, requested: nil))
        #expect(InputOverflow.detect(message: "x", code: "context_length_exceeded") != nil)
        #expect(InputOverflow.detect(message: "Invalid input: the input contains a forbidden marker.") == nil)
        #expect(InputOverflow.detect(message: "'input' must be a non-empty array of strings") == nil)
    }

    @Test("shortening follows the stated ratio with a margin, else the limit in UTF-8 bytes, else half")
    func shortening() {
        let text = String(repeating: "abcd", count: 2500)
        let stated = InputOverflow(limit: 5000, requested: 10000)
        #expect(stated.shortened(text, fallbackTokens: 100).count == 4500)
        let unstated = InputOverflow(limit: nil, requested: nil)
        let dense = String(repeating: "数", count: 100)
        let cut = unstated.shortened(dense, fallbackTokens: 31)
        #expect(cut == String(repeating: "数", count: 10), "3 bytes each: 10 fit in 31")
        #expect(unstated.shortened("abcdef", fallbackTokens: 100) == "abc")
        #expect(unstated.shortened("a", fallbackTokens: 100) == "a", "never empty")
    }
}
