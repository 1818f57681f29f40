import Foundation

/// A WordPiece vocabulary: token text to id, as listed one per line in `vocab.txt`.
struct Vocabulary: Sendable {
    /// Every token as a word-initial piece, and each `##…` token also as a continuation without its `##`.
    let pieces: PieceTable
    /// The number of distinct tokens.
    let count: Int
    /// The largest id (-1 when there are none).
    let largestID: Int32
    let unknownID: Int32
    let classifierID: Int32
    let separatorID: Int32

    /// Reads `vocab.txt` (line N holds the token with id N).
    /// - Throws: `LocalModelError` when the file is unreadable, not UTF-8, empty, or lacks `[UNK]`, `[CLS]` or
    ///   `[SEP]`.
    init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw LocalModelError(.missingFile, "Cannot read the vocabulary '\(url.path)'.", underlying: error)
        }
        try self.init(utf8: data, source: url.path)
    }

    /// Parses the text of a `vocab.txt`.
    init(text: String, source: String = "vocab.txt") throws {
        try self.init(utf8: Array(text.utf8), source: source)
    }

    /// Parses the bytes of a `vocab.txt`: lines end at LF, a CR before it is dropped, the text must be UTF-8.
    ///
    /// Straight from the bytes into a `PieceTable`: 30,522 tokens take ~4 ms, where splitting a `String` into a
    /// `[String: Int32]` took ~20 (and never split CRLF lines, "\r\n" being one `Character`).
    init(utf8 bytes: some ContiguousBytes, source: String = "vocab.txt") throws {
        let parsed = try bytes.withUnsafeBytes { raw in
            let byte = raw.bindMemory(to: UInt8.self)
            if String(validating: byte, as: UTF8.self) == nil {
                throw LocalModelError(
                    .invalidVocabulary,
                    "The vocabulary '\(source)' is not UTF-8 (line \(Self.firstInvalidLine(byte))).")
            }
            var pieces = PieceTable(capacity: byte.count / 5)
            var count = 0
            var index: Int32 = 0
            Self.forEachLine(byte) { line in
                // A later duplicate wins, as in the reference tokenizers.
                if pieces.set(line, continuation: false, id: index) { count += 1 }
                if line.count > 2 && line[0] == UInt8(ascii: "#") && line[1] == UInt8(ascii: "#") {
                    pieces.set(UnsafeBufferPointer(rebasing: line[2...]), continuation: true, id: index)
                }
                index += 1
            }
            return (pieces, count, index - 1)
        }
        pieces = parsed.0
        count = parsed.1
        // The last line's id: nothing after it replaces it.
        largestID = parsed.2
        func require(_ token: String) throws -> Int32 {
            guard let id = Self.id(of: token, in: parsed.0) else {
                throw LocalModelError(.invalidVocabulary, "The vocabulary '\(source)' has no \(token) token.")
            }
            return id
        }
        self.unknownID = try require("[UNK]")
        self.classifierID = try require("[CLS]")
        self.separatorID = try require("[SEP]")
    }

    /// The id of a whole token's text, `##` included.
    func id(of token: String) -> Int32? { Self.id(of: token, in: pieces) }

    private static func id(of token: String, in pieces: PieceTable) -> Int32? {
        var text = token
        return text.withUTF8 { pieces.id($0, continuation: false) }
    }

    /// Calls `body` with each line's bytes, without the LF that ends it or a CR before that LF.
    private static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
            var last = end
            if last > start && bytes[last - 1] == UInt8(ascii: "\r") { last -= 1 }
            body(UnsafeBufferPointer(rebasing: bytes[start..<last]))
            start = end + 1
        }
    }

    /// The number (from 1) of the first line that is not UTF-8.
    private static func firstInvalidLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var line = 0
        var found = 0
        forEachLine(bytes) { text in
            line += 1
            if found == 0 && String(validating: text, as: UTF8.self) == nil { found = line }
        }
        return found
    }
}
