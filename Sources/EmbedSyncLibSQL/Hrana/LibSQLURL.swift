import EmbedSyncCore
import Foundation

/// A remote libSQL database's address: `libsql://HOST[:PORT]` (TLS; `?tls=0` for plain HTTP), `https://…`, or
/// `http://…`.
public struct LibSQLURL: Sendable, CustomStringConvertible {
    /// `https://host[:port]` or `http://host:port`, with no path or query; Hrana paths go below it.
    public var base: String
    /// What messages show: the URL as given, without its query.
    public var description: String

    /// Whether a database URL names a remote libSQL server (and not a SQLite file or PostgreSQL).
    public static func matches(_ url: String) -> Bool {
        let lower = url.lowercased()
        return lower.hasPrefix("libsql://") || lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }

    /// - Throws: ``EmbedSyncError`` (`.usage`) for another scheme, a missing host, an unknown query parameter, or a
    ///   token in the URL (tokens come from an environment variable, so they never reach a command line or a log).
    public init(_ url: String) throws {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            ["libsql", "https", "http"].contains(scheme), let host = components.host, !host.isEmpty
        else {
            throw EmbedSyncError(
                .usage,
                """
                '\(url.prefix(200))' is not a libSQL URL. Pass \(.database) libsql://HOST (or https://HOST, or \
                http://HOST:PORT for a server without TLS).
                """
            )
        }
        var tls = scheme != "http"
        for item in components.queryItems ?? [] {
            switch item.name {
            case "tls" where scheme == "libsql":
                guard let value = item.value, value == "0" || value == "1" else {
                    throw EmbedSyncError(.usage, "In a libsql:// URL, tls is 0 or 1.")
                }
                tls = value == "1"
            case "authToken":
                throw EmbedSyncError(
                    .usage,
                    """
                    Do not put the token in the libSQL URL: set it in TURSO_AUTH_TOKEN (or the variable named by \
                    \(.authTokenVariable)).
                    """
                )
            default:
                throw EmbedSyncError(
                    .usage, "Unknown parameter '\(item.name)' in the libSQL URL (only ?tls=0 for libsql:// is read).")
            }
        }
        if !tls, scheme == "libsql", components.port == nil {
            throw EmbedSyncError(.usage, "A libsql:// URL with ?tls=0 needs a port: libsql://HOST:PORT?tls=0.")
        }
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let port = components.port.map { ":\($0)" } ?? ""
        let path = components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path
        base = (tls ? "https://" : "http://") + hostPart + port + path
        description = "\(scheme)://\(hostPart)\(port)\(path)"
    }
}
