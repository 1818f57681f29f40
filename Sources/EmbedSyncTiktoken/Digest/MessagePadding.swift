/// The Merkle–Damgård message padding SHA-1 and SHA-256 share: 64-byte blocks, a 0x80 byte,
/// zeros, then the message length in bits as a big-endian 64-bit integer.
enum MessagePadding {
    /// Calls `body` with each 64-byte block of the padded message; whole blocks are not copied.
    static func forEachBlock<Bytes: Collection>(
        of bytes: Bytes, _ body: (UnsafeRawBufferPointer) -> Void
    ) where Bytes.Element == UInt8 {
        let message = Array(bytes)
        message.withUnsafeBytes { raw in
            let fullBlocks = raw.count / 64
            for index in 0..<fullBlocks {
                body(UnsafeRawBufferPointer(rebasing: raw[(index * 64)..<(index * 64 + 64)]))
            }
            var tail = [UInt8](raw[(fullBlocks * 64)...])
            tail.append(0x80)
            while tail.count % 64 != 56 { tail.append(0) }
            let bits = UInt64(raw.count) &* 8
            for shift in stride(from: 56, through: 0, by: -8) {
                tail.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift)))
            }
            tail.withUnsafeBytes { padded in
                for start in stride(from: 0, to: padded.count, by: 64) {
                    body(UnsafeRawBufferPointer(rebasing: padded[start..<(start + 64)]))
                }
            }
        }
    }

    /// Reads big-endian word `index` of a 64-byte block.
    @inline(__always)
    static func word(_ block: UnsafeRawBufferPointer, _ index: Int) -> UInt32 {
        UInt32(bigEndian: block.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self))
    }

    /// Eight lower-case hex digits of a word.
    static func hex(_ word: UInt32) -> String {
        let digits = String(word, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
