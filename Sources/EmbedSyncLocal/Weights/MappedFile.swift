import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when released.
// @unchecked Sendable: the mapping is read-only (PROT_READ) and never changes after init, so sharing the
// pointer across threads is safe; it is unmapped only in deinit, when no one can hold a reference.
final class MappedFile: @unchecked Sendable {
    /// The first byte of the file (nil for an empty file).
    let bytes: UnsafeRawPointer?
    /// The file's size in bytes.
    let count: Int
    let path: String

    /// Maps `url` read-only.
    /// - Throws: `LocalModelError(.missingFile)` when the file cannot be opened or mapped.
    init(url: URL) throws {
        path = url.path
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw LocalModelError(.missingFile, "Cannot open '\(url.path)': \(String(cString: strerror(errno))).")
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw LocalModelError(.missingFile, "Cannot read the size of '\(url.path)'.")
        }
        count = Int(status.st_size)
        if count == 0 {
            bytes = nil
            return
        }
        let address = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw LocalModelError(.missingFile, "Cannot memory-map '\(url.path)': \(String(cString: strerror(errno))).")
        }
        bytes = UnsafeRawPointer(address)
    }

    deinit {
        if let bytes {
            munmap(UnsafeMutableRawPointer(mutating: bytes), count)
        }
    }
}
