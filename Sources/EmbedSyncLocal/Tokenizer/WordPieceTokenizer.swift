import Foundation

/// BERT's full tokenizer: normalisation, splitting on whitespace and punctuation, then greedy
/// longest-match-first WordPiece with `##` continuations, wrapped in `[CLS]` … `[SEP]`.
///
/// Reproduces Hugging Face `tokenizers` (BertNormalizer + BertPreTokenizer + WordPiece) for uncased models.
struct WordPieceTokenizer: Sendable {
    let vocabulary: Vocabulary
    let normalizer: BertNormalizer
    /// Words longer than this many characters become a single `[UNK]`.
    let maxCharactersPerWord: Int
    /// The longest sequence fed to the model, special tokens included.
    let maxSequenceLength: Int

    init(vocabulary: Vocabulary, lowercase: Bool = true, maxCharactersPerWord: Int = 100, maxSequenceLength: Int) {
        self.vocabulary = vocabulary
        self.normalizer = BertNormalizer(lowercase: lowercase)
        self.maxCharactersPerWord = maxCharactersPerWord
        self.maxSequenceLength = max(2, maxSequenceLength)
    }

    /// The ids the model is fed: `[CLS]`, the word pieces (truncated), `[SEP]`.
    func encode(_ text: String) -> [Int32] {
        var ids: [Int32] = [vocabulary.classifierID]
        ids.reserveCapacity(min(maxSequenceLength, text.utf8.count / 3 + 8))
        appendWordPieces(of: text, to: &ids, limit: maxSequenceLength - 1)
        ids.append(vocabulary.separatorID)
        return ids
    }

    /// The number of tokens before truncation, `[CLS]` and `[SEP]` included.
    func untruncatedCount(_ text: String) -> Int {
        var ids: [Int32] = []
        appendWordPieces(of: text, to: &ids, limit: Int.max)
        return ids.count + 2
    }

    /// Appends the word-piece ids of `text` to `ids` until `ids.count` reaches `limit`.
    func appendWordPieces(of text: String, to ids: inout [Int32], limit: Int) {
        let scalars = normalizer.normalize(text)
        var word = WordBytes()
        var wordStart = 0
        var index = 0
        let count = scalars.count
        while index < count && ids.count < limit {
            let scalar = scalars[index]
            if CharacterClasses.isWhitespace(scalar) {
                if wordStart < index { appendWord(scalars[wordStart..<index], bytes: &word, to: &ids, limit: limit) }
                wordStart = index + 1
            } else if CharacterClasses.isPunctuation(scalar) {
                if wordStart < index { appendWord(scalars[wordStart..<index], bytes: &word, to: &ids, limit: limit) }
                appendWord(scalars[index...index], bytes: &word, to: &ids, limit: limit)
                wordStart = index + 1
            }
            index += 1
        }
        if wordStart < count && index == count {
            appendWord(scalars[wordStart..<count], bytes: &word, to: &ids, limit: limit)
        }
    }

    /// A word's UTF-8 bytes and where each of its scalars starts in them, kept between words of a text.
    private struct WordBytes {
        var utf8: [UInt8] = []
        /// `starts[i]`: the offset of scalar `i`; one more entry for the end.
        var starts: [Int] = []

        mutating func set(_ word: ArraySlice<Unicode.Scalar>) {
            utf8.removeAll(keepingCapacity: true)
            starts.removeAll(keepingCapacity: true)
            for scalar in word {
                starts.append(utf8.count)
                utf8.append(contentsOf: UTF8.encode(scalar)!)
            }
            starts.append(utf8.count)
        }
    }

    /// Greedy longest-match-first WordPiece for one word; the whole word is `[UNK]` when any part fails.
    private func appendWord(
        _ word: ArraySlice<Unicode.Scalar>, bytes: inout WordBytes, to ids: inout [Int32], limit: Int
    ) {
        guard ids.count < limit else { return }
        if word.count > maxCharactersPerWord {
            ids.append(vocabulary.unknownID)
            return
        }
        bytes.set(word)
        let firstPieceIndex = ids.count
        let pieces = vocabulary.pieces
        let starts = bytes.starts
        let failed = bytes.utf8.withUnsafeBufferPointer { utf8 -> Bool in
            var start = 0
            while start < word.count {
                var end = word.count
                // Candidates longer than every piece cannot match.
                while end > start && starts[end] - starts[start] > pieces.longestKey { end -= 1 }
                var found: Int32?
                while start < end {
                    let piece = UnsafeBufferPointer(rebasing: utf8[starts[start]..<starts[end]])
                    if let id = pieces.id(piece, continuation: start > 0) {
                        found = id
                        break
                    }
                    end -= 1
                }
                guard let id = found else { return true }
                ids.append(id)
                start = end
            }
            return false
        }
        if failed {
            ids.removeSubrange(firstPieceIndex...)
            ids.append(vocabulary.unknownID)
            return
        }
        if ids.count > limit { ids.removeSubrange(limit...) }
    }
}
