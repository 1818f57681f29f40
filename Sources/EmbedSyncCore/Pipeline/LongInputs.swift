/// What a run does with a text longer than the provider's per-input token limit (OpenAI: 8192).
///
/// The local model always truncates at its own maximum sequence length, as sentence-transformers does.
public enum LongInputPolicy: String, Sendable, CaseIterable {
    /// Cut the text at the limit (the default); counted in `truncated`.
    case truncate
    /// Split the text into consecutive pieces at the limit, embed every piece in the same request, and store their
    /// token-weighted mean, re-normalised to unit length (OpenAI's recipe for long texts); counted in `chunked`.
    /// A text that needs more pieces than one request can carry keeps the pieces that fit and counts as truncated too.
    case chunk
}

/// Splits long texts into pieces within a token limit, and recombines the pieces' vectors.
enum TextChunker {
    /// Consecutive pieces of `text`, each at most `maxTokens` tokens by `counter`, at most `maxPieces` of them.
    /// `complete` is false when the pieces stop before the end of the text.
    static func split(
        _ text: String, counter: any TokenCounter, maxTokens: Int, maxPieces: Int
    )
        -> (pieces: [(text: String, tokens: Int)], complete: Bool)
    {
        var pieces: [(text: String, tokens: Int)] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            guard pieces.count < maxPieces else { return (pieces, false) }
            let (piece, tokens) = counter.truncate(String(rest), maxTokens: maxTokens)
            // Counters cut on Unicode scalar boundaries; anything else is a counter we cannot split with.
            guard !piece.isEmpty, rest.unicodeScalars.starts(with: piece.unicodeScalars) else { return (pieces, false) }
            pieces.append((piece, tokens))
            let end = rest.unicodeScalars.index(rest.unicodeScalars.startIndex, offsetBy: piece.unicodeScalars.count)
            rest = Substring(rest.unicodeScalars[end...])
        }
        return (pieces, true)
    }

    /// The token-weighted mean of `vectors`, scaled to unit length (or left as is when it is all zeros).
    static func combine(_ vectors: [[Float]], weights: [Int]) -> [Float] {
        guard let dimensions = vectors.first?.count else { return [] }
        var sum = [Double](repeating: 0, count: dimensions)
        for (vector, weight) in zip(vectors, weights) {
            for i in 0..<min(dimensions, vector.count) { sum[i] += Double(vector[i]) * Double(max(1, weight)) }
        }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return sum.map { Float(norm > 0 ? $0 / norm : $0) }
    }
}

extension BatchOutcome {
    /// Folds the pieces of chunked rows back into one row each: a row embeds when all its pieces did (their
    /// token-weighted mean), and fails once, with its first piece's error, when any piece failed.
    /// `items` are the batch as sent, so each row's pieces are in order, and so are their vectors.
    func combiningChunks(of items: [WorkItem]) -> BatchOutcome {
        var weights: [RowID: [Int]] = [:]
        var firstPiece: [RowID: WorkItem] = [:]
        for item in items where item.wholeText != nil {
            weights[item.id, default: []].append(item.tokens)
            if firstPiece[item.id] == nil { firstPiece[item.id] = item }
        }
        guard !firstPiece.isEmpty else { return self }
        var combined = self
        combined.embedded = []
        combined.failed = []
        var failedIDs: Set<RowID> = []
        for failure in failed where firstPiece[failure.id] == nil || failedIDs.insert(failure.id).inserted {
            combined.failed.append(failure)
        }
        var vectors: [RowID: [[Float]]] = [:]
        for row in embedded {
            if firstPiece[row.id] == nil {
                combined.embedded.append(row)
            } else if !failedIDs.contains(row.id) {
                vectors[row.id, default: []].append(row.vector)
            }
        }
        for (id, piece) in firstPiece where !failedIDs.contains(id) {
            guard let rowWeights = weights[id], let rowVectors = vectors[id], rowVectors.count == rowWeights.count
            else {
                combined.failed.append(
                    FailedRow(
                        id: id, contentHash: piece.contentHash, errorClass: "incomplete_chunks",
                        message: "not every piece of the chunked text was embedded", attempts: 1))
                continue
            }
            combined.embedded.append(
                EmbeddedRow(
                    id: id, vector: TextChunker.combine(rowVectors, weights: rowWeights),
                    contentHash: piece.contentHash, text: piece.wholeText ?? piece.text,
                    sourceValues: piece.sourceValues))
        }
        return combined
    }
}
