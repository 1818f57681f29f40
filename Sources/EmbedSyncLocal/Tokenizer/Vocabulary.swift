import Foundation

/// A WordPiece vocabulary: token text to id, as listed one per line in `vocab.txt`.
struct Vocabulary: Sendable {
    let ids: [String: Int32]
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

    /// Parses the bytes of a `vocab.txt`: lines end at LF, a CR before it is dropped, each line must be UTF-8.
    ///
    /// Line by line over the bytes, into a table sized up front: 30,522 tokens take ~6 ms, where splitting a
    /// `String` took ~20 (and never split CRLF lines, "\r\n" being one `Character`).
    init(utf8 bytes: some ContiguousBytes, source: String = "vocab.txt") throws {
        var ids: [String: Int32] = [:]
        try bytes.withUnsafeBytes { raw in
            let byte = raw.bindMemory(to: UInt8.self)
            ids.reserveCapacity(byte.count / 6)
            var start = 0
            var index: Int32 = 0
            while start < byte.count {
                var end = start
                while end < byte.count && byte[end] != UInt8(ascii: "\n") { end += 1 }
                var last = end
                if last > start && byte[last - 1] == UInt8(ascii: "\r") { last -= 1 }
                guard let token = String(validating: UnsafeBufferPointer(rebasing: byte[start..<last]), as: UTF8.self)
                else {
                    throw LocalModelError(
                        .invalidVocabulary, "The vocabulary '\(source)' is not UTF-8 (line \(index + 1)).")
                }
                // A later duplicate wins, as in the reference tokenizers.
                ids[token] = index
                index += 1
                start = end + 1
            }
        }
        func require(_ token: String) throws -> Int32 {
            guard let id = ids[token] else {
                throw LocalModelError(.invalidVocabulary, "The vocabulary '\(source)' has no \(token) token.")
            }
            return id
        }
        self.ids = ids
        self.unknownID = try require("[UNK]")
        self.classifierID = try require("[CLS]")
        self.separatorID = try require("[SEP]")
    }

    /// The number of distinct tokens.
    var count: Int { ids.count }
}
