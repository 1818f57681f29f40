/// Parses the `.tiktoken` format: one `base64-token rank` pair per line.
///
/// Hand-written because it runs on every start: 100k lines parse in a few milliseconds.
enum RanksFileParser {
    /// Decoded base64 values, 0xFF for bytes outside the alphabet.
    private static let base64Values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        return table
    }()

    /// Parses a ranks file.
    /// - Parameters:
    ///   - data: The file's bytes.
    ///   - source: Where the bytes came from, for error messages.
    /// - Returns: Token bytes rank after rank, and the start of each rank in them plus an end offset.
    /// - Throws: ``TiktokenError`` with code `malformed`, naming the line.
    static func parse(
        _ data: UnsafeRawBufferPointer, source: String
    ) throws(TiktokenError) -> (bytes: [UInt8], offsets: [UInt32]) {
        var tokenBytes: [UInt8] = []
        tokenBytes.reserveCapacity(data.count * 3 / 4)
        var entries: [(rank: Int, start: UInt32, end: UInt32)] = []
        entries.reserveCapacity(data.count / 12)
        var maxRank = -1
        let values = base64Values
        let count = data.count
        var index = 0
        var line = 0
        while index < count {
            line += 1
            var lineEnd = index
            while lineEnd < count, data[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var end = lineEnd
            if end > index, data[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            defer { index = lineEnd + 1 }
            if end == index { continue }  // Blank line.

            func malformed(_ why: String) -> TiktokenError {
                TiktokenError(
                    code: .malformed,
                    message: "Line \(line) of the ranks file \(source) \(why); expected a base64 "
                        + "token, a space and a rank. Delete the file so a fresh copy is fetched, or "
                        + "point TIKTOKEN_CACHE_DIR at a folder with a valid cl100k_base.tiktoken.")
            }
            var space = index
            while space < end, data[space] != UInt8(ascii: " ") { space += 1 }
            guard space < end, space > index else { throw malformed("has no space-separated rank") }
            var rank = 0
            var digit = space + 1
            guard digit < end else { throw malformed("has no rank") }
            while digit < end {
                let byte = data[digit]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), rank < 100_000_000 else {
                    throw malformed("has a rank that is not a small non-negative integer")
                }
                rank = rank * 10 + Int(byte - UInt8(ascii: "0"))
                digit += 1
            }
            let start = UInt32(tokenBytes.count)
            var accumulator: UInt32 = 0
            var bits = 0
            var position = index
            while position < space {
                let byte = data[position]
                position += 1
                if byte == UInt8(ascii: "=") { break }
                let value = values[Int(byte)]
                guard value != 0xFF else { throw malformed("has a token that is not base64") }
                accumulator = (accumulator << 6) | UInt32(value)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    tokenBytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                }
            }
            let tokenEnd = UInt32(tokenBytes.count)
            guard tokenEnd > start else { throw malformed("has an empty token") }
            entries.append((rank, start, tokenEnd))
            maxRank = max(maxRank, rank)
        }
        guard maxRank >= 0 else {
            throw TiktokenError(
                code: .malformed,
                message: "The ranks file \(source) is empty. Delete it so a fresh copy is fetched.")
        }
        guard maxRank < entries.count * 4 + 1024 else {
            throw TiktokenError(
                code: .malformed,
                message: "The ranks file \(source) has rank \(maxRank) but only \(entries.count) tokens; "
                    + "it is not a BPE ranks file.")
        }
        // Lay the bytes out by rank so rank r's bytes are bytes[offsets[r]..<offsets[r + 1]].
        if entries.indices.allSatisfy({ entries[$0].rank == $0 }) {
            var offsets = entries.map(\.start)
            offsets.append(UInt32(tokenBytes.count))
            return (tokenBytes, offsets)
        }
        var ordered = [(start: UInt32, end: UInt32)](repeating: (0, 0), count: maxRank + 1)
        for entry in entries { ordered[entry.rank] = (entry.start, entry.end) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(tokenBytes.count)
        var offsets: [UInt32] = []
        offsets.reserveCapacity(maxRank + 2)
        for (start, end) in ordered {
            offsets.append(UInt32(bytes.count))
            bytes.append(contentsOf: tokenBytes[Int(start)..<Int(end)])
        }
        offsets.append(UInt32(bytes.count))
        return (bytes, offsets)
    }
}
