import Foundation

/// OpenAI's `cl100k_base` byte-level BPE tokenizer, token for token identical to Python tiktoken's
/// `encode_ordinary`.
///
/// Load it once from a `.tiktoken` ranks file (see ``TiktokenLocator``) and share it: it is
/// immutable and safe to use from any number of tasks at once. Special-token text such as
/// `<|endoftext|>` is encoded as ordinary text.
///
/// ```swift
/// let url = try TiktokenLocator(environment: ProcessInfo.processInfo.environment,
///                               cacheDirectory: cacheFolder).locate()
/// let encoding = try TiktokenEncoding.load(ranksFile: url)
/// let tokens = encoding.count("Title: Dune\nGenre: Science fiction")
/// ```
public final class TiktokenEncoding: Sendable {
    let table: RankTable

    init(table: RankTable) {
        self.table = table
    }

    /// Loads a ranks file and pairs it with the `cl100k_base` split pattern.
    ///
    /// - Parameter ranksFile: A file of `base64-token rank` lines, such as `cl100k_base.tiktoken`.
    /// - Returns: The encoding.
    /// - Throws: ``TiktokenError`` with code `unreadable` when the file cannot be read, or
    ///   `malformed` when a line is not a base64 token and a rank.
    public static func load(ranksFile: URL) throws -> TiktokenEncoding {
        let data: Data
        do {
            data = try Data(contentsOf: ranksFile, options: .mappedIfSafe)
        } catch {
            throw TiktokenError(
                code: .unreadable,
                message: "Cannot read the ranks file '\(ranksFile.path)'. Check that it exists and is "
                    + "readable, or set TIKTOKEN_CACHE_DIR to a folder holding cl100k_base.tiktoken.",
                underlying: error as NSError)
        }
        return try load(ranksData: data, source: "'\(ranksFile.path)'")
    }

    /// Builds an encoding from the contents of a ranks file.
    ///
    /// - Parameters:
    ///   - ranksData: The bytes of a `.tiktoken` file.
    ///   - source: Where the bytes came from, used in error messages.
    /// - Returns: The encoding.
    /// - Throws: ``TiktokenError`` with code `malformed`.
    public static func load(ranksData: Data, source: String = "(in memory)") throws -> TiktokenEncoding {
        let parsed = ranksData.withUnsafeBytes { raw in
            Result { () throws(TiktokenError) in try RanksFileParser.parse(raw, source: source) }
        }
        return TiktokenEncoding(table: try RankTable(bytes: parsed.get().bytes, offsets: parsed.get().offsets))
    }

    /// The number of token ids in the vocabulary (ranks), excluding special tokens.
    public var vocabularySize: Int { table.offsets.count - 1 }

    /// Encodes text into token ids, as tiktoken's `encode_ordinary` does.
    /// - Parameter text: Any text; special-token text is treated as ordinary text.
    /// - Returns: The token ids.
    public func encode(_ text: String) -> [Int] {
        var sink = TokenArraySink()
        sink.tokens.reserveCapacity(text.utf8.count / 3 + 1)
        run(text, into: &sink)
        return sink.tokens
    }

    /// Counts the tokens of text without building the token array.
    /// - Parameter text: Any text.
    /// - Returns: `encode(text).count`.
    public func count(_ text: String) -> Int {
        var sink = TokenCountSink()
        run(text, into: &sink)
        return sink.count
    }

    /// Decodes token ids back to text.
    ///
    /// Ids outside the vocabulary are skipped; byte sequences that are not valid UTF-8 (a prefix
    /// cut inside a character) become U+FFFD.
    /// - Parameter tokens: Token ids.
    /// - Returns: The text.
    public func decode(_ tokens: [Int]) -> String {
        String(decoding: bytes(of: tokens[...]), as: UTF8.self)
    }

    /// Cuts text to at most `maxTokens` tokens, as for an embeddings input limit of 8192 tokens.
    ///
    /// The result is a prefix of `text` that ends on a character boundary, so it never contains
    /// U+FFFD from a character cut in half; its token count is recounted, and is at most
    /// `maxTokens`.
    /// - Parameters:
    ///   - text: The text to cut.
    ///   - maxTokens: The most tokens to keep; zero or less gives empty text.
    /// - Returns: The kept text and its token count; `text` itself when it already fits.
    public func truncate(_ text: String, maxTokens: Int) -> (text: String, tokens: Int) {
        guard maxTokens > 0 else { return ("", 0) }
        let tokens = encode(text)
        guard tokens.count > maxTokens else { return (text, tokens.count) }
        let utf8 = Array(text.utf8)
        var keep = maxTokens
        while keep > 0 {
            var end = 0
            for token in tokens[..<keep] { end += byteLength(of: token) }
            end = min(end, utf8.count)
            // Back off to the start of a scalar: never keep half a character.
            while end > 0, end < utf8.count, utf8[end] & 0xC0 == 0x80 { end -= 1 }
            let prefix = String(decoding: utf8[..<end], as: UTF8.self)
            let counted = count(prefix)
            if counted <= maxTokens { return (prefix, counted) }
            keep -= counted - maxTokens
        }
        return ("", 0)
    }

    private func byteLength(of token: Int) -> Int {
        guard token >= 0, token + 1 < table.offsets.count else { return 0 }
        return Int(table.offsets[token + 1]) - Int(table.offsets[token])
    }

    private func bytes(of tokens: ArraySlice<Int>) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(tokens.count * 4)
        let offsets = table.offsets
        for token in tokens where token >= 0 && token + 1 < offsets.count {
            result.append(contentsOf: table.bytes[Int(offsets[token])..<Int(offsets[token + 1])])
        }
        return result
    }
}
