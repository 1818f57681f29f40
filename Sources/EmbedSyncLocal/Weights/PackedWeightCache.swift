import CEmbedSyncKernels
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The AVX-512 kernel's packed weights of one model file, saved after the first load so later loads map them
/// instead of packing again (most of the load time: 0.07 s for all-MiniLM-L6-v2 on 2 cores).
///
/// One file per model file, `<directory>/<hash of the model's path>.packed`: an 8-byte magic, the header's length,
/// a JSON header, then each array 64-byte aligned. The header's key names the model file (size, modification time,
/// inode, device), the Strassen levels and a fingerprint of the packing code; a file whose key differs, or that
/// fails any check, is ignored and written again. Files are written beside their final name and renamed over it,
/// never changed in place, so a mapping in use stays valid. They are not flushed to disk (that took 0.5 s): each
/// array's header holds a hash of one float per 4 KB page, so a page lost in a crash makes the file a miss.
struct PackedWeightCache: Sendable {
    /// One saved array: a packed weight (`levels` ≥ 0) or plain floats (`levels` nil).
    struct Entry: Codable, Sendable {
        let name: String
        let levels: Int?
        let offset: Int
        let count: Int
        /// ``sample(_:)`` of the floats: a block of the file lost or zeroed in a crash fails it.
        let sample: UInt64
    }

    private struct Header: Codable {
        let key: String
        let entries: [Entry]
    }

    /// The arrays of a cache file that matched, mapped.
    struct Contents: Sendable {
        let file: MappedFile
        let entries: [String: Entry]

        /// Entry `name`'s floats, when it has `count` of them.
        func floats(_ name: String, count: Int) -> UnsafePointer<Float>? {
            guard let entry = entries[name], entry.count == count, let base = file.bytes else { return nil }
            return (base + entry.offset).assumingMemoryBound(to: Float.self)
        }
    }

    static let magic: [UInt8] = Array("ESPACK01".utf8)

    let url: URL
    let key: String

    /// The cache for `modelFile` in `directory`; nil when the model file cannot be examined.
    init?(directory: URL, modelFile: URL) {
        var status = stat()
        guard stat(modelFile.path, &status) == 0 else { return nil }
        let path = modelFile.standardizedFileURL.path
        #if canImport(Darwin)
        let modified = status.st_mtimespec
        #else
        let modified = status.st_mtim
        #endif
        key = [
            "model=\(path)", "size=\(status.st_size)", "mtime=\(modified.tv_sec).\(modified.tv_nsec)",
            "inode=\(status.st_ino)", "device=\(status.st_dev)",
            "kernel=avx512-fp32", "levels=\(PackedWeight.defaultStrassenLevels)",
            "packing=\(Self.packingFingerprint)",
        ].joined(separator: " ")
        url = directory.appendingPathComponent(String(Self.hash(Array(path.utf8)), radix: 16) + ".packed")
    }

    /// `$EMBEDSYNC_PACKED_CACHE` (a folder), none when it is `0`, `off`, `false` or `no`, else
    /// `$XDG_CACHE_HOME/embedsync/packed` or `~/.cache/embedsync/packed`.
    static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let setting = environment["EMBEDSYNC_PACKED_CACHE"] ?? ""
        if ["0", "off", "false", "no"].contains(setting.lowercased()) { return nil }
        if !setting.isEmpty { return URL(fileURLWithPath: setting, isDirectory: true) }
        return ModelLocator(modelDirectory: nil, environment: environment).embedSyncCache("packed")
    }

    /// The saved arrays, when the file exists, has this cache's key and every range lies inside it.
    func load() -> Contents? {
        guard FileManager.default.fileExists(atPath: url.path), let file = try? MappedFile(url: url),
            let base = file.bytes, file.count >= 16
        else { return nil }
        let prefix = UnsafeRawBufferPointer(start: base, count: 16)
        guard Array(prefix[0..<8]) == Self.magic else { return nil }
        let length = Int(UInt64(littleEndian: prefix.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
        guard length > 0, length <= file.count - 16,
            let header = try? JSONDecoder().decode(
                Header.self, from: Data(UnsafeRawBufferPointer(start: base + 16, count: length))),
            header.key == key
        else { return nil }
        var entries: [String: Entry] = [:]
        for entry in header.entries {
            let end = entry.offset.addingReportingOverflow(entry.count.multipliedReportingOverflow(by: 4).partialValue)
            guard entry.offset % 64 == 0, entry.offset >= 16 + length, entry.count >= 0, !end.overflow,
                end.partialValue <= file.count,
                Self.sample(
                    UnsafeBufferPointer(
                        start: (base + entry.offset).assumingMemoryBound(to: Float.self),
                        count: entry.count)) == entry.sample
            else { return nil }
            entries[entry.name] = entry
        }
        return Contents(file: file, entries: entries)
    }

    /// Writes `arrays` (name, levels, floats) as this cache's file. Best effort: a folder that cannot be written
    /// leaves no file and no error.
    func save(_ arrays: [(name: String, levels: Int?, floats: UnsafeBufferPointer<Float>)]) {
        var entries: [Entry] = []
        var offset = 0
        for array in arrays {
            entries.append(
                Entry(
                    name: array.name, levels: array.levels, offset: offset, count: array.floats.count,
                    sample: Self.sample(array.floats)))
            offset += (array.floats.count * 4 + 63) / 64 * 64
        }
        // Offsets so far count from the data; the data starts after the header, rounded up to 64 bytes.
        func encoded(shift: Int) -> Data? {
            let shifted = entries.map {
                Entry(name: $0.name, levels: $0.levels, offset: $0.offset + shift, count: $0.count, sample: $0.sample)
            }
            return try? JSONEncoder().encode(Header(key: key, entries: shifted))
        }
        var start = 0
        var header = Data()
        while true {
            guard let encoded = encoded(shift: start) else { return }
            header = encoded
            let needed = (16 + header.count + 63) / 64 * 64
            if needed <= start { break }
            start = needed
        }
        let directory = url.deletingLastPathComponent()
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil
        else { return }
        removeAbandonedFiles()
        let temporary = url.path + ".\(getpid())-\(UUID().uuidString).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        var written = true
        func write(_ bytes: UnsafeRawBufferPointer, at position: Int) {
            var done = 0
            while written && done < bytes.count {
                let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(position + done))
                if n <= 0 { written = false } else { done += n }
            }
        }
        var prefix = Data(Self.magic)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix.append(contentsOf: $0) }
        (prefix + header).withUnsafeBytes { write($0, at: 0) }
        for (entry, array) in zip(entries, arrays) where array.floats.count > 0 {
            write(UnsafeRawBufferPointer(array.floats), at: start + entry.offset)
        }
        close(fd)
        if !written || rename(temporary, url.path) != 0 { unlink(temporary) }
    }

    /// Removes files of this cache left half-written more than ten minutes ago by a process that ended.
    private func removeAbandonedFiles() {
        let directory = url.deletingLastPathComponent()
        let prefix = url.lastPathComponent + "."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasPrefix(prefix) && name.hasSuffix(".tmp") {
            let path = directory.appendingPathComponent(name).path
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            if let modified, modified.timeIntervalSinceNow < -600 { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// An FNV-1a-style hash of every 1024th float's bits (one per 4 KB page) and of the last.
    static func sample(_ floats: UnsafeBufferPointer<Float>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for index in stride(from: 0, to: floats.count, by: 1024) {
            hash = (hash ^ UInt64(floats[index].bitPattern)) &* 0x100_0000_01b3
        }
        return floats.isEmpty ? hash : (hash ^ UInt64(floats[floats.count - 1].bitPattern)) &* 0x100_0000_01b3
    }

    /// FNV-1a, 64-bit.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// A hash of what the packing code makes of a fixed weight, plain and with one level of Strassen's algorithm:
    /// a change to either packing gives saved files another key.
    static let packingFingerprint: String = {
        let outputs = 64
        let inputs = 32
        let weight = (0..<(outputs * inputs)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
        var bytes: [UInt8] = []
        for levels in [0, 1] {
            let packed = weight.withUnsafeBufferPointer {
                PackedWeight(weight: $0.baseAddress!, outputs: outputs, inputs: inputs, strassenLevels: levels)
            }
            let buffer = UnsafeRawBufferPointer(start: packed.pointer, count: packed.count * 4)
            bytes += Array(buffer) + [UInt8(packed.strassenLevels)]
        }
        return String(hash(bytes), radix: 16)
    }()
}
