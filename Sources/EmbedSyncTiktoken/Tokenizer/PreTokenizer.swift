/// Splits UTF-8 text into the pieces `cl100k_base` encodes one by one.
///
/// A hand-written equivalent of tiktoken's split pattern (tiktoken 0.14):
/// `'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|
/// ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s`,
/// which matches the original `…|\s*[\r\n]+|\s+(?!\S)|\s+` form except that whitespace running to
/// the end of the text is one piece. The alternatives are tried in order at each position, as a
/// backtracking regex engine would. The input must be valid UTF-8 (it comes from a `String`).
struct PreTokenizer {
    private let base: UnsafePointer<UInt8>
    private let count: Int
    private let table: UnsafePointer<UInt8>
    private var position = 0

    /// - Parameters:
    ///   - bytes: Valid UTF-8 text.
    ///   - table: ``ScalarClass/bmpTable``'s storage.
    init(bytes: UnsafeBufferPointer<UInt8>, table: UnsafePointer<UInt8>) {
        // An empty buffer may have no base address; any non-nil pointer works since count is 0.
        self.base = bytes.baseAddress ?? table
        self.count = bytes.count
        self.table = table
    }

    /// Decodes the scalar at `index`: its value and its length in bytes.
    @inline(__always)
    private func scalar(at index: Int) -> (value: UInt32, length: Int) {
        let b0 = base[index]
        if b0 < 0x80 {
            return (UInt32(b0), 1)
        }
        if b0 < 0xE0, index + 1 < count {
            return ((UInt32(b0 & 0x1F) << 6) | UInt32(base[index + 1] & 0x3F), 2)
        }
        if b0 < 0xF0, index + 2 < count {
            let value =
                (UInt32(b0 & 0x0F) << 12) | (UInt32(base[index + 1] & 0x3F) << 6)
                | UInt32(base[index + 2] & 0x3F)
            return (value, 3)
        }
        if index + 3 < count {
            let value =
                (UInt32(b0 & 0x07) << 18) | (UInt32(base[index + 1] & 0x3F) << 12)
                | (UInt32(base[index + 2] & 0x3F) << 6) | UInt32(base[index + 3] & 0x3F)
            return (value, 4)
        }
        return (0xFFFD, 1)  // Truncated sequence: cannot come from a String.
    }

    @inline(__always)
    private func classAndLength(at index: Int) -> (cls: UInt8, length: Int) {
        let b0 = base[index]
        if b0 < 0x80 {
            return (table[Int(b0)], 1)
        }
        let (value, length) = scalar(at: index)
        return (ScalarClass.of(value, table: table), length)
    }

    /// The end of the run of scalars, starting at `index`, whose class intersects `mask`.
    @inline(__always)
    private func runEnd(from index: Int, matching mask: UInt8) -> Int {
        var index = index
        while index < count {
            let (cls, length) = classAndLength(at: index)
            if cls & mask == 0 { break }
            index += length
        }
        return index
    }

    /// The end of the run of scalars, starting at `index`, whose class does not intersect `mask`.
    @inline(__always)
    private func runEnd(from index: Int, excluding mask: UInt8) -> Int {
        var index = index
        while index < count {
            let (cls, length) = classAndLength(at: index)
            if cls & mask != 0 { break }
            index += length
        }
        return index
    }

    /// The end of `'s`, `'t`, `'re`, `'ve`, `'m`, `'ll` or `'d` (any case) after the apostrophe at
    /// `index`, or nil.
    @inline(__always)
    private func contractionEnd(at index: Int) -> Int? {
        let next = index + 1
        guard next < count else { return nil }
        let c1 = base[next] | 0x20  // ASCII lower case; non-letters never match below.
        switch c1 {
        case UInt8(ascii: "s"), UInt8(ascii: "d"), UInt8(ascii: "m"), UInt8(ascii: "t"):
            return next + 1
        case UInt8(ascii: "l"), UInt8(ascii: "v"), UInt8(ascii: "r"):
            guard next + 1 < count else { return nil }
            let c2 = base[next + 1] | 0x20
            let wanted = c1 == UInt8(ascii: "l") ? UInt8(ascii: "l") : UInt8(ascii: "e")
            return c2 == wanted ? next + 2 : nil
        default:
            // U+017F LATIN SMALL LETTER LONG S case-folds to "s".
            if base[next] == 0xC5, next + 1 < count, base[next + 1] == 0xBF {
                return next + 2
            }
            return nil
        }
    }

    /// The byte range of the next piece, or nil at the end of the text.
    @inline(__always)
    mutating func next() -> Range<Int>? {
        let start = position
        guard start < count else { return nil }
        let end = pieceEnd(from: start)
        position = end
        return start..<end
    }

    private func pieceEnd(from start: Int) -> Int {
        let first = base[start]
        if first == UInt8(ascii: "'"), let end = contractionEnd(at: start) {
            return end
        }
        let (cls, length) = classAndLength(at: start)
        let letter = ScalarClass.letter
        let number = ScalarClass.number
        let space = ScalarClass.space
        let newline = ScalarClass.newline

        // [^\r\n\p{L}\p{N}]?+\p{L}++
        if cls & letter != 0 {
            return runEnd(from: start + length, matching: letter)
        }
        if cls & (number | newline) == 0, start + length < count {
            let (nextClass, nextLength) = classAndLength(at: start + length)
            if nextClass & letter != 0 {
                return runEnd(from: start + length + nextLength, matching: letter)
            }
        }
        // \p{N}{1,3}+
        if cls & number != 0 {
            var end = start + length
            for _ in 0..<2 where end < count {
                let (nextClass, nextLength) = classAndLength(at: end)
                if nextClass & number == 0 { break }
                end += nextLength
            }
            return end
        }
        // ' ?[^\s\p{L}\p{N}]++[\r\n]*+'
        let punctuationMask = space | letter | number
        var punctuationStart = -1
        if cls & punctuationMask == 0 {
            punctuationStart = start
        } else if first == UInt8(ascii: " "), start + 1 < count,
            classAndLength(at: start + 1).cls & punctuationMask == 0
        {
            punctuationStart = start + 1
        }
        if punctuationStart >= 0 {
            var end = runEnd(from: punctuationStart, excluding: punctuationMask)
            while end < count, base[end] == UInt8(ascii: "\r") || base[end] == UInt8(ascii: "\n") {
                end += 1
            }
            return end
        }
        // The scalar is whitespace: \s++$ | \s*[\r\n] | \s+(?!\S) | \s
        var end = start
        var lastNewlineEnd = -1
        var lastScalarStart = start
        while end < count {
            let (nextClass, nextLength) = classAndLength(at: end)
            if nextClass & space == 0 { break }
            if nextClass & newline != 0 { lastNewlineEnd = end + nextLength }
            lastScalarStart = end
            end += nextLength
        }
        if end == count { return end }
        if lastNewlineEnd >= 0 { return lastNewlineEnd }
        if lastScalarStart > start { return lastScalarStart }
        return start + length
    }
}
