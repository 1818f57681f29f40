/// Token ids by the UTF-8 bytes of their text, word-initial pieces and `##` continuations apart: WordPiece looks its
/// candidates up straight from a word's bytes, without making and hashing a `String` for each.
///
/// Open addressing over FNV-1a hashes, the keys' bytes in one array. A continuation key is the piece without its
/// `##`, so the continuation "##s" is found from the word's bytes "s".
struct PieceTable: Sendable {
    private struct Entry {
        var start: Int32
        var length: Int32
        var id: Int32
        var continuation: Bool
    }

    /// Entry index + 1 per slot, 0 for an empty slot; a power of two long.
    private var slots: [Int32]
    private var entries: [Entry] = []
    private var keyBytes: [UInt8] = []
    /// The longest key, in bytes: a longer candidate cannot be in the table.
    private(set) var longestKey = 0

    /// A table with room for `capacity` keys at most half full.
    init(capacity: Int) {
        var size = 16
        while size < 2 * capacity { size *= 2 }
        slots = [Int32](repeating: 0, count: size)
        entries.reserveCapacity(capacity)
    }

    /// The number of keys.
    var count: Int { entries.count }

    /// Sets the id of `key`, replacing an earlier one; returns whether the key is new.
    @discardableResult
    mutating func set(_ key: UnsafeBufferPointer<UInt8>, continuation: Bool, id: Int32) -> Bool {
        if entries.count * 2 >= slots.count { grow() }
        var slot = Self.hash(key, continuation: continuation) & (slots.count - 1)
        while slots[slot] != 0 {
            let index = Int(slots[slot]) - 1
            if matches(entries[index], key, continuation: continuation) {
                entries[index].id = id
                return false
            }
            slot = (slot + 1) & (slots.count - 1)
        }
        entries.append(
            Entry(start: Int32(keyBytes.count), length: Int32(key.count), id: id, continuation: continuation))
        keyBytes.append(contentsOf: key)
        slots[slot] = Int32(entries.count)
        longestKey = max(longestKey, key.count)
        return true
    }

    /// The id of `key`, if the table has it.
    func id(_ key: UnsafeBufferPointer<UInt8>, continuation: Bool) -> Int32? {
        var slot = Self.hash(key, continuation: continuation) & (slots.count - 1)
        while slots[slot] != 0 {
            let entry = entries[Int(slots[slot]) - 1]
            if matches(entry, key, continuation: continuation) { return entry.id }
            slot = (slot + 1) & (slots.count - 1)
        }
        return nil
    }

    private func matches(_ entry: Entry, _ key: UnsafeBufferPointer<UInt8>, continuation: Bool) -> Bool {
        guard entry.continuation == continuation, Int(entry.length) == key.count else { return false }
        return keyBytes.withUnsafeBufferPointer { stored in
            var offset = 0
            let start = Int(entry.start)
            while offset < key.count {
                if stored[start + offset] != key[offset] { return false }
                offset += 1
            }
            return true
        }
    }

    private mutating func grow() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        for (index, entry) in entries.enumerated() {
            let hash = keyBytes.withUnsafeBufferPointer { stored in
                Self.hash(
                    UnsafeBufferPointer(rebasing: stored[Int(entry.start)..<Int(entry.start + entry.length)]),
                    continuation: entry.continuation)
            }
            var slot = hash & (slots.count - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = Int32(index + 1)
        }
    }

    /// FNV-1a over the bytes, from a different basis for continuations.
    private static func hash(_ key: UnsafeBufferPointer<UInt8>, continuation: Bool) -> Int {
        var hash: UInt64 = continuation ? 0x84222325_cbf29ce4 : 0xcbf29ce4_84222325
        for byte in key {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(truncatingIfNeeded: hash ^ (hash >> 29))
    }
}
