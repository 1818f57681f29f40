import Foundation

/// Maps token byte strings to their ranks, and ranks back to bytes.
///
/// An open-addressing hash table of fixed-size slots. Tokens of up to eight bytes are keyed by the
/// bytes themselves packed into a `UInt64` (plus the length), so a lookup is one multiply and
/// usually one cache line; longer tokens are keyed by a 64-bit hash and confirmed against the bytes.
struct RankTable: Sendable {
    struct Slot: Sendable {
        var key: UInt64 = 0
        var rank: UInt32 = 0
        /// Zero marks an empty slot.
        var length: UInt32 = 0
    }

    /// `bytes[offsets[r]..<offsets[r + 1]]` are the bytes of rank `r` (empty for unused ranks).
    let bytes: [UInt8]
    let offsets: [UInt32]
    let slots: [Slot]
    let shift: UInt64
    /// The rank of each single byte.
    let byteRanks: [UInt32]

    /// Builds the table.
    /// - Parameters:
    ///   - bytes: All token bytes, rank after rank.
    ///   - offsets: Start of each rank's bytes in `bytes`, with a final end offset.
    /// - Throws: ``TiktokenError`` with code `malformed` when a single byte has no rank.
    init(bytes: [UInt8], offsets: [UInt32]) throws(TiktokenError) {
        self.bytes = bytes
        self.offsets = offsets
        let rankCount = offsets.count - 1
        var bits: UInt64 = 4
        while (1 << bits) < rankCount * 5 / 2 { bits += 1 }
        let shift = 64 - bits
        self.shift = shift
        let mask = (1 << Int(bits)) - 1
        var slots = [Slot](repeating: Slot(), count: 1 << Int(bits))
        var byteRanks = [UInt32](repeating: UInt32.max, count: 256)
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for rank in 0..<rankCount {
                let start = Int(offsets[rank])
                let length = Int(offsets[rank + 1]) - start
                guard length > 0 else { continue }
                if length == 1 { byteRanks[Int(base[start])] = UInt32(rank) }
                let key = RankTable.key(base + start, length)
                var index = RankTable.index(key: key, length: length, shift: shift)
                while slots[index].length != 0 { index = (index + 1) & mask }
                slots[index] = Slot(key: key, rank: UInt32(rank), length: UInt32(length))
            }
        }
        if let missing = byteRanks.firstIndex(of: UInt32.max) {
            throw TiktokenError(
                code: .malformed,
                message: "The ranks file has no token for the single byte \(missing); a byte-level BPE "
                    + "ranks file must cover all 256 bytes. Use the standard cl100k_base.tiktoken file.")
        }
        self.slots = slots
        self.byteRanks = byteRanks
    }

    /// The lookup key of a byte string: the bytes themselves when they fit, else a hash.
    @inline(__always)
    static func key(_ pointer: UnsafePointer<UInt8>, _ length: Int) -> UInt64 {
        if length <= 8 {
            var key: UInt64 = 0
            var shift: UInt64 = 0
            for index in 0..<length {
                key |= UInt64(pointer[index]) << shift
                shift += 8
            }
            return key
        }
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        var index = 0
        while index + 8 <= length {
            let word = UnsafeRawPointer(pointer + index).loadUnaligned(as: UInt64.self)
            hash = (hash ^ word) &* 0x100_0000_01B3
            hash ^= hash >> 29
            index += 8
        }
        while index < length {
            hash = (hash ^ UInt64(pointer[index])) &* 0x100_0000_01B3
            index += 1
        }
        return hash
    }

    @inline(__always)
    static func index(key: UInt64, length: Int, shift: UInt64) -> Int {
        let mixed = (key ^ (UInt64(truncatingIfNeeded: length) &* 0x9E37_79B9)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> shift)
    }
}

/// A borrowed, bounds-check-free view of a ``RankTable`` for the duration of one encode call.
struct RankLookup {
    let slots: UnsafePointer<RankTable.Slot>
    let mask: Int
    let shift: UInt64
    let bytes: UnsafePointer<UInt8>
    let offsets: UnsafePointer<UInt32>
    let byteRanks: UnsafePointer<UInt32>

    /// The rank of `pointer[0..<length]`, or `UInt32.max` when it is not a token.
    @inline(__always)
    func rank(_ pointer: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        if length == 1 { return byteRanks[Int(pointer[0])] }
        let key = RankTable.key(pointer, length)
        var index = RankTable.index(key: key, length: length, shift: shift)
        while true {
            let slot = slots[index]
            if slot.length == 0 { return UInt32.max }
            if slot.key == key, Int(slot.length) == length {
                if length <= 8 { return slot.rank }
                let start = Int(offsets[Int(slot.rank)])
                if memcmp(bytes + start, pointer, length) == 0 { return slot.rank }
            }
            index = (index + 1) & mask
        }
    }
}
