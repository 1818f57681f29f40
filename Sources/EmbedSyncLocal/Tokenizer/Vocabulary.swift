import Foundation

/// A WordPiece vocabulary: token text to id, as listed one per line in `vocab.txt`.
struct Vocabulary: Sendable {
    let ids: [String: Int32]
    let unknownID: Int32
    let classifierID: Int32
    let separatorID: Int32

    /// Reads `vocab.txt` (line N holds the token with id N).
    /// - Throws: `LocalModelError` when the file is unreadable, empty, or lacks `[UNK]`, `[CLS]` or `[SEP]`.
    init(contentsOf url: URL) throws {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw LocalModelError(.missingFile, "Cannot read the vocabulary '\(url.path)'.", underlying: error)
        }
        try self.init(text: text, source: url.path)
    }

    /// Parses the text of a `vocab.txt`.
    init(text: String, source: String = "vocab.txt") throws {
        var ids: [String: Int32] = [:]
        var index: Int32 = 0
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        if text.hasSuffix("\n") { lines.removeLast() }
        for line in lines {
            var token = String(line)
            if token.hasSuffix("\r") { token.removeLast() }
            // A later duplicate wins, as in the reference tokenizers.
            ids[token] = index
            index += 1
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
