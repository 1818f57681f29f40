import Foundation

/// EmbedSync's cache folder: `$XDG_CACHE_HOME/embedsync`, else `~/.cache/embedsync`.
enum CachePaths {
    static func root(environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("embedsync")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".cache/embedsync")
    }
}
