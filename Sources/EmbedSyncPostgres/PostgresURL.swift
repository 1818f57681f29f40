import EmbedSyncCore
import Foundation
import PostgresNIO

/// A parsed `postgres://user:pass@host:port/db?sslmode=…&host=/socket/dir` URL.
///
/// The password comes from the URL or, when the URL has none, from `PGPASSWORD` in the given environment.
/// ``description`` never shows it.
struct PostgresURL: Sendable, CustomStringConvertible {
    enum SSLMode: String, Sendable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    /// The folder holding the server's Unix socket, when connecting through one.
    var socketDirectory: String?
    var user: String
    var password: String?
    var database: String
    var sslMode: SSLMode
    var rootCertificate: String?

    /// - Throws: ``EmbedSyncError`` (`.usage`) naming what is wrong, never the password.
    init(_ text: String, environment: [String: String]) throws {
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://"),
            let components = URLComponents(string: text)
        else {
            throw EmbedSyncError(
                .usage,
                """
                The database URL is not a valid postgres:// URL. Use \
                postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=require.
                """
            )
        }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }

        let urlHost = components.host.flatMap { $0.isEmpty ? nil : $0.removingPercentEncoding }
        let hostParameter = query["host"] ?? urlHost ?? environment["PGHOST"] ?? "localhost"
        if hostParameter.hasPrefix("/") {
            socketDirectory = hostParameter
            host = "localhost"
        } else {
            socketDirectory = nil
            host = hostParameter
        }
        if let portText = query["port"] ?? components.port.map(String.init) ?? environment["PGPORT"] {
            guard let value = Int(portText), (1...65535).contains(value) else {
                throw EmbedSyncError(.usage, "The database URL's port '\(portText)' is not a port number.")
            }
            port = value
        } else {
            port = 5432
        }
        user = components.user?.removingPercentEncoding ?? query["user"] ?? environment["PGUSER"] ?? "postgres"
        if let password = components.password?.removingPercentEncoding {
            self.password = password
        } else {
            password = environment["PGPASSWORD"]
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database =
            (path.removingPercentEncoding).flatMap { $0.isEmpty ? nil : $0 } ?? query["dbname"] ?? environment[
                "PGDATABASE"] ?? user
        let modeText = query["sslmode"] ?? environment["PGSSLMODE"] ?? "prefer"
        guard let mode = SSLMode(rawValue: modeText) else {
            throw EmbedSyncError(
                .usage,
                """
                Unknown sslmode '\(modeText)' in the database URL. Use disable, prefer, require, verify-ca or \
                verify-full.
                """
            )
        }
        sslMode = socketDirectory == nil ? mode : .disable
        rootCertificate = query["sslrootcert"]
    }

    /// `user@host:port/database` (or the socket path): safe to show.
    var description: String {
        if let socketDirectory { return "\(user)@\(socketPath(socketDirectory))/\(database)" }
        return "\(user)@\(host):\(port)/\(database)"
    }

    func socketPath(_ directory: String) -> String {
        (directory as NSString).appendingPathComponent(".s.PGSQL.\(port)")
    }

    /// The TLS settings sslmode asks for: `prefer`/`require` encrypt without checking the certificate (as libpq does),
    /// `verify-ca` checks the chain, `verify-full` the chain and the host name.
    func tlsConfiguration() -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        switch sslMode {
        case .disable: return nil
        case .allow, .prefer, .require: tls.certificateVerification = .none
        case .verifyCA: tls.certificateVerification = .noHostnameVerification
        case .verifyFull: tls.certificateVerification = .fullVerification
        }
        if let rootCertificate { tls.trustRoots = .file(rootCertificate) }
        return tls
    }

    func clientConfiguration(maximumConnections: Int) -> PostgresClient.Configuration {
        var configuration: PostgresClient.Configuration
        if let socketDirectory {
            configuration = .init(
                unixSocketPath: socketPath(socketDirectory), username: user, password: password, database: database)
        } else {
            let tls: PostgresClient.Configuration.TLS
            switch (sslMode, tlsConfiguration()) {
            case (_, nil): tls = .disable
            case (.allow, let config?), (.prefer, let config?): tls = .prefer(config)
            case (_, let config?): tls = .require(config)
            }
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        }
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "embedsync")]
        return configuration
    }

    func connectionConfiguration() throws -> PostgresConnection.Configuration {
        if let socketDirectory {
            return .init(
                unixSocketPath: socketPath(socketDirectory), username: user, password: password, database: database)
        }
        var configuration: PostgresConnection.Configuration
        if let tlsConfiguration = tlsConfiguration() {
            let context: NIOSSLContext
            do {
                context = try NIOSSLContext(configuration: tlsConfiguration)
            } catch {
                throw EmbedSyncError(
                    .usage, "Cannot set up TLS for \(self) (sslmode=\(sslMode.rawValue)): \(error). Check sslrootcert.",
                    underlying: error)
            }
            let tls: PostgresConnection.Configuration.TLS =
                (sslMode == .prefer || sslMode == .allow) ? .prefer(context) : .require(context)
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: tls)
        } else {
            configuration = .init(
                host: host, port: port, username: user, password: password, database: database, tls: .disable)
        }
        configuration.options.connectTimeout = .seconds(10)
        configuration.options.additionalStartupParameters = [("application_name", "embedsync")]
        return configuration
    }
}
