/// Several vectors per row: each row's text is split into windows of at most ``tokens`` tokens (counted by the
/// model's own tokenizer, without the model's special tokens) that overlap by ``overlap`` tokens, and every window is
/// embedded and stored as a chunk of the row (`--chunk-tokens N --chunk-overlap M`).
public struct ChunkSettings: Sendable, Equatable {
    /// The most tokens in one chunk.
    public var tokens: Int
    /// Tokens a chunk repeats from the end of the one before it; less than ``tokens``.
    public var overlap: Int

    public init(tokens: Int, overlap: Int = 0) {
        self.tokens = tokens
        self.overlap = overlap
    }

    /// The most tokens one chunk may hold with this model: its input limit less its special tokens (the local
    /// all-MiniLM-L6-v2: 256 − [CLS] − [SEP] = 254; OpenAI: 8192).
    public static func window(limits: ProviderLimits, counter: any TokenCounter) -> Int {
        limits.maxTokensPerInput - specialTokens(counter)
    }

    /// Tokens the model adds to every text ([CLS] and [SEP] for BERT models); 0 for approximate counts.
    static func specialTokens(_ counter: any TokenCounter) -> Int {
        counter.isExact ? counter.count("") : 0
    }

    /// Checks the settings against the model: 1 ≤ `tokens` ≤ the model's window, 0 ≤ `overlap` < `tokens`.
    /// - Throws: ``EmbedSyncError`` (`.usage`) naming ``Parameter/chunkTokens`` or ``Parameter/chunkOverlap``.
    public func check(limits: ProviderLimits, counter: any TokenCounter, model: ModelIdentity) throws {
        let window = Self.window(limits: limits, counter: counter)
        guard tokens >= 1, tokens <= window else {
            throw EmbedSyncError(
                .usage,
                """
                \(.chunkTokens) is \(tokens), but \(model.model) reads at most \(window) tokens per chunk. Pass \
                \(.chunkTokens) between 1 and \(window).
                """)
        }
        guard overlap >= 0, overlap < tokens else {
            throw EmbedSyncError(
                .usage,
                "\(.chunkOverlap) is \(overlap); it must be at least 0 and less than \(.chunkTokens) (\(tokens)).")
        }
    }
}

/// One window of a row's text.
public struct TextChunk: Sendable, Equatable {
    /// 0-based position among the row's chunks.
    public var number: Int
    /// The window's text: the row's text from `start` to `end`.
    public var text: String
    /// Where the window starts in the row's rendered text, in UTF-8 bytes.
    public var start: Int
    /// Where the window ends (exclusive) in the row's rendered text, in UTF-8 bytes.
    public var end: Int
    /// Tokens the model sees for this window (with its special tokens, as every other count in a run).
    public var tokens: Int

    public init(number: Int, text: String, start: Int, end: Int, tokens: Int) {
        self.number = number
        self.text = text
        self.start = start
        self.end = end
        self.tokens = tokens
    }
}

/// Splits texts into overlapping windows of at most ``ChunkSettings/tokens`` tokens, cutting where the text allows
/// it best: at a paragraph break, else a line break or a sentence end, else between words, and only inside a word
/// that alone is longer than a window (then between characters: never inside a character, even a multi-byte one).
///
/// A window prefers a better break when it keeps at least half of the longest window that fits; the next window
/// starts at the earliest word that keeps the overlap within ``ChunkSettings/overlap`` tokens. A single character
/// longer than a window (rare: an emoji sequence with a tiny window) is a window of its own.
public struct ChunkSplitter: Sendable {
    public let settings: ChunkSettings
    public let counter: any TokenCounter
    let special: Int

    public init(settings: ChunkSettings, counter: any TokenCounter) {
        self.settings = settings
        self.counter = counter
        special = ChunkSettings.specialTokens(counter)
    }

    /// A piece of text that is never cut: a word, or a character of a word longer than a window.
    struct Unit {
        var start: String.Index
        var end: String.Index
        var startByte: Int
        var endByte: Int
        /// How good a cut right after it is: 4 paragraph, 3 line, 2 sentence, 1 word, 0 inside a word.
        var level: Int
    }

    /// The chunks of `text`, in order; none for a text of only whitespace.
    public func split(_ text: String) -> [TextChunk] {
        let units = self.units(of: text)
        guard !units.isEmpty else { return [] }
        var chunks: [TextChunk] = []
        var first = 0
        var covered = -1
        while first < units.count {
            var last = longestFit(text, units, from: first)
            if last < units.count - 1 { last = betterBreak(units, from: max(first, covered + 1), upTo: last) }
            while last > first, !fits(text, units, first, last) { last -= 1 }
            let piece = String(text[units[first].start..<units[last].end])
            chunks.append(
                TextChunk(
                    number: chunks.count, text: piece, start: units[first].startByte, end: units[last].endByte,
                    tokens: counter.count(piece)))
            guard last < units.count - 1 else { break }
            covered = last
            first = nextStart(text, units, after: first, last: last)
        }
        return chunks
    }

    func content(_ text: Substring) -> Int { max(0, counter.count(String(text)) - special) }

    func fits(_ text: String, _ units: [Unit], _ first: Int, _ last: Int) -> Bool {
        content(text[units[first].start..<units[last].end]) <= settings.tokens
    }

    /// The last unit of the longest window from `first` that fits (`first` itself when even it does not).
    func longestFit(_ text: String, _ units: [Unit], from first: Int) -> Int {
        guard fits(text, units, first, first) else { return first }
        var good = first
        var step = 1
        var bad = units.count
        while good + step < units.count {
            if fits(text, units, first, good + step) {
                good += step
                step *= 2
            } else {
                bad = good + step
                break
            }
        }
        while bad - good > 1 {
            let middle = (good + bad) / 2
            if fits(text, units, first, middle) { good = middle } else { bad = middle }
        }
        return good
    }

    /// The best break from `first` to `last` that keeps at least half of the window's bytes (`first`: the first unit
    /// the window adds to the one before it).
    func betterBreak(_ units: [Unit], from first: Int, upTo last: Int) -> Int {
        guard first <= last else { return last }
        let half = units[first].startByte + (units[last].endByte - units[first].startByte) / 2
        let best = units[first...last].filter { $0.endByte >= half }.map(\.level).max() ?? 0
        return (first...last).last { units[$0].level == best && units[$0].endByte >= half } ?? last
    }

    /// Where the window after `first…last` starts: the earliest unit after `first` whose overlap with this window
    /// is within the overlap and with which the next window still reaches past `last`.
    func nextStart(_ text: String, _ units: [Unit], after first: Int, last: Int) -> Int {
        guard settings.overlap > 0 else { return last + 1 }
        func acceptable(_ start: Int) -> Bool {
            start > last
                || (content(text[units[start].start..<units[last].end]) <= settings.overlap
                    && fits(text, units, start, last + 1))
        }
        var bad = first
        var good = last + 1
        while good - bad > 1 {
            let middle = (good + bad) / 2
            if acceptable(middle) { good = middle } else { bad = middle }
        }
        return good
    }
}

extension ChunkSplitter {
    /// The text's words with the quality of the break after each; a word longer than a window becomes its
    /// characters. Whitespace belongs to no unit, so chunks start and end on non-whitespace.
    func units(of text: String) -> [Unit] {
        var units: [Unit] = []
        var wordStart: (index: String.Index, byte: Int)?
        var byte = 0
        var newlines = 0
        func endWord(at end: String.Index) {
            guard let start = wordStart else { return }
            wordStart = nil
            let word = text[start.index..<end]
            let level = Self.isSentenceEnd(word.last) ? 2 : 1
            if word.utf8.count > settings.tokens, content(word) > settings.tokens {
                // No token is shorter than one byte, so only a word longer than a window in bytes can need this.
                var charByte = start.byte
                for index in word.indices {
                    let character = word[index]
                    let next = word.index(after: index)
                    let bytes = character.utf8.count
                    units.append(
                        Unit(
                            start: index, end: next, startByte: charByte, endByte: charByte + bytes,
                            level: next == end ? level : (Self.isSentenceEnd(character) ? 2 : 0)))
                    charByte += bytes
                }
            } else {
                units.append(Unit(start: start.index, end: end, startByte: start.byte, endByte: byte, level: level))
            }
        }
        for index in text.indices {
            let character = text[index]
            if character.isWhitespace {
                endWord(at: index)
                if character.isNewline, let lastIndex = units.indices.last {
                    newlines += 1
                    units[lastIndex].level = max(units[lastIndex].level, newlines >= 2 ? 4 : 3)
                }
            } else if wordStart == nil {
                wordStart = (index, byte)
                newlines = 0
            }
            byte += character.utf8.count
        }
        endWord(at: text.endIndex)
        return units
    }

    static func isSentenceEnd(_ character: Character?) -> Bool {
        guard let character else { return false }
        return ".!?;:。！？；…".contains(character)
    }
}
