import EmbedSyncCore

/// The rules every split must keep, checked on real tokenizers and texts by the chunking tests.
public enum ChunkChecks {
    /// What `chunks` (``ChunkSplitter/split(_:)`` of `text`) break, as messages; empty when they keep every rule:
    /// each chunk is its span of the text (UTF-8 offsets on character boundaries), has at most `settings.tokens`
    /// tokens without the model's special ones (or is one character), starts and ends on non-whitespace; together
    /// they cover every word in order; consecutive chunks overlap by at most `settings.overlap` tokens and each adds
    /// text.
    public static func problems(
        _ chunks: [TextChunk], of text: String, settings: ChunkSettings, counter: any TokenCounter
    ) -> [String] {
        var problems: [String] = []
        let bytes = Array(text.utf8)
        let special = counter.isExact ? counter.count("") : 0
        func content(_ piece: String) -> Int { counter.count(piece) - special }
        func slice(_ start: Int, _ end: Int) -> String? {
            guard start >= 0, start <= end, end <= bytes.count else { return nil }
            return String(validating: bytes[start..<end], as: UTF8.self)
        }
        let words = text.split(whereSeparator: \.isWhitespace)
        guard !words.isEmpty else { return chunks.isEmpty ? [] : ["a blank text has chunks"] }
        guard let first = chunks.first, let last = chunks.last else { return ["a text with words has no chunks"] }
        if first.start != text.utf8.distance(from: text.startIndex, to: words[0].startIndex) {
            problems.append("the first chunk does not start at the first word")
        }
        if last.end != text.utf8.distance(from: text.startIndex, to: words[words.count - 1].endIndex) {
            problems.append("the last chunk does not end at the last word")
        }
        for (index, chunk) in chunks.enumerated() {
            guard let span = slice(chunk.start, chunk.end) else {
                problems.append("chunk \(index)'s span \(chunk.start)..<\(chunk.end) is not whole characters")
                continue
            }
            if span != chunk.text { problems.append("chunk \(index) is not its span") }
            if chunk.number != index { problems.append("chunk \(index) is numbered \(chunk.number)") }
            if chunk.tokens != counter.count(chunk.text) { problems.append("chunk \(index)'s token count is wrong") }
            if content(chunk.text) > settings.tokens, chunk.text.count > 1 {
                problems.append("chunk \(index) has \(content(chunk.text)) tokens, over \(settings.tokens)")
            }
            if chunk.text.first?.isWhitespace != false || chunk.text.last?.isWhitespace != false {
                problems.append("chunk \(index) starts or ends with whitespace")
            }
            guard index > 0 else { continue }
            let previous = chunks[index - 1]
            if chunk.start <= previous.start || chunk.end <= previous.end {
                problems.append("chunk \(index) does not move forward")
            }
            if chunk.start > previous.end {
                let gap = slice(previous.end, chunk.start) ?? "?"
                if gap.contains(where: { !$0.isWhitespace }) { problems.append("text lost before chunk \(index)") }
            } else if let overlap = slice(chunk.start, previous.end), content(overlap) > settings.overlap {
                problems.append("chunks \(index - 1) and \(index) overlap by \(content(overlap)) tokens")
            }
        }
        return problems
    }
}
