#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps secrets out of core files.
///
/// API keys, database passwords and libSQL tokens live in this process's memory while it runs; a crash with core
/// files on (`ulimit -c unlimited`, common on build and CI machines) would copy them into a file in the working
/// directory. So `embedsync` sets its own core-file limit to zero, soft and hard, before it reads any secret — unless
/// `EMBEDSYNC_CORE_DUMPS=1` asks to keep core files, e.g. to debug a crash on a machine without real keys.
enum CoreDumps {
    /// The environment variable that keeps core files on.
    static let variable = "EMBEDSYNC_CORE_DUMPS"

    /// Turns core files off for this process (and what it starts), unless `environment` asks to keep them.
    /// - Returns: whether core files are now off.
    @discardableResult
    static func disable(environment: [String: String]) -> Bool {
        if environment[variable] == "1" { return false }
        var none = rlimit(rlim_cur: 0, rlim_max: 0)
        #if canImport(Glibc)
        return setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none) == 0
        #else
        return setrlimit(RLIMIT_CORE, &none) == 0
        #endif
    }
}
