import Foundation

/// A provider's "this input is longer than the model's context" refusal, read from its message, with the limit and
/// the count it states when it states them.
///
/// Providers word it differently — OpenAI: "This model's maximum context length is 8192 tokens, however you
/// requested 9000 tokens …"; vLLM: "… maximum context length is 512 tokens. However, you requested 600 tokens …";
/// text-embeddings-inference: "`inputs` must have less than 512 tokens. Given: 600"; Ollama: "the input length
/// exceeds the context length". The pipeline shortens such an input and sends it again instead of failing the row:
/// offline, or with an `openai-compatible` server whose tokenizer EmbedSync cannot know, token counts are estimates.
public struct InputOverflow: Sendable, Equatable {
    /// The most tokens the provider accepts for one input, when the message says.
    public var limit: Int?
    /// How many tokens the provider counted in the input, when the message says.
    public var requested: Int?

    public init(limit: Int?, requested: Int?) {
        self.limit = limit
        self.requested = requested
    }

    /// The overflow a refusal's message (or error code) describes, or `nil` for any other refusal.
    public static func detect(message: String, code: String? = nil) -> InputOverflow? {
        let lowered = message.lowercased()
        let phrases = [
            "context length", "context_length_exceeded", "context window", "maximum input length",
            "input length exceeds", "too many tokens", "input is too long", "input too long", "reduce your prompt",
            "reduce the length", "must have less than", "exceeds the maximum", "maximum allowed tokens", "token limit",
        ]
        let known =
            (code.map { phrases.contains($0.lowercased()) } ?? false) || phrases.contains { lowered.contains($0) }
        guard known else { return nil }
        let numbers = lowered.split { !$0.isNumber && $0 != "," }
            .compactMap { Int($0.replacingOccurrences(of: ",", with: "")) }
            .filter { $0 > 0 }
        guard numbers.count >= 2 else { return InputOverflow(limit: numbers.first, requested: nil) }
        // Messages state the limit first ("maximum … is 8192 tokens, however you requested 9000") or the count
        // first ("you requested 9000 tokens, but the maximum is 8192"); the limit is the smaller one.
        return InputOverflow(limit: min(numbers[0], numbers[1]), requested: max(numbers[0], numbers[1]))
    }

    /// `text` shortened so it should fit: by the stated ratio (with a margin) when the message gives both counts,
    /// else to `fallbackTokens` bytes of UTF-8 (no byte-level BPE token is shorter than a byte), else to half.
    /// Cut on a Unicode scalar boundary; never empty when `text` is not.
    public func shortened(_ text: String, fallbackTokens: Int) -> String {
        let scalars = text.unicodeScalars
        var keep: Int
        if let limit, let requested, requested > limit {
            keep = Int(Double(scalars.count) * Double(limit) / Double(requested) * 0.9)
        } else if text.utf8.count > fallbackTokens {
            var bytes = 0
            keep = 0
            for scalar in scalars {
                bytes += String(scalar).utf8.count
                guard bytes <= fallbackTokens else { break }
                keep += 1
            }
        } else {
            keep = scalars.count / 2
        }
        keep = max(1, min(keep, scalars.count - 1))
        return String(String.UnicodeScalarView(scalars.prefix(keep)))
    }
}
