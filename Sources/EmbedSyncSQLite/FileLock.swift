import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory `flock` on a file beside the database. The kernel drops it when the process dies,
/// so a killed run never leaves the table locked.
final class FileLock: Sendable {
    let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    /// Takes the lock without blocking; `nil` when another process holds it.
    static func tryLock(path: String) throws -> FileLock? {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
        }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            return FileLock(path: path, descriptor: fd)
        }
        close(fd)
        return nil
    }

    func unlock() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
