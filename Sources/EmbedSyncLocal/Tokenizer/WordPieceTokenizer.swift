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
        var wordStart = 0
        var index = 0
        let count = scalars.count
        while index < count && ids.count < limit {
            let scalar = scalars[index]
            if CharacterClasses.isWhitespace(scalar) {
                if wordStart < index { appendWord(scalars[wordStart..<index], to: &ids, limit: limit) }
                wordStart = index + 1
            } else if CharacterClasses.isPunctuation(scalar) {
                if wordStart < index { appendWord(scalars[wordStart..<index], to: &ids, limit: limit) }
                appendWord(scalars[index...index], to: &ids, limit: limit)
                wordStart = index + 1
            }
            index += 1
        }
        if wordStart < count && index == count {
            appendWord(scalars[wordStart..<count], to: &ids, limit: limit)
        }
    }

    /// Greedy longest-match-first WordPiece for one word; the whole word is `[UNK]` when any part fails.
    private func appendWord(_ word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32], limit: Int) {
        guard ids.count < limit else { return }
        if word.count > maxCharactersPerWord {
            ids.append(vocabulary.unknownID)
            return
        }
        let firstPieceIndex = ids.count
        var start = word.startIndex
        while start < word.endIndex {
            var end = word.endIndex
            var found: Int32?
            while start < end {
                var candidate = start == word.startIndex ? "" : "##"
                candidate.unicodeScalars.append(contentsOf: word[start..<end])
                if let id = vocabulary.ids[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                ids.removeSubrange(firstPieceIndex...)
                ids.append(vocabulary.unknownID)
                return
            }
            ids.append(id)
            start = end
        }
        if ids.count > limit { ids.removeSubrange(limit...) }
    }
}
