import Foundation

#if canImport(Glibc)
import Glibc

private func openTCPSocket() -> Int32 { Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0) }
private func connectSocket(_ socket: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    Glibc.connect(socket, address, length)
}
#elseif canImport(Darwin)
import Darwin

private func openTCPSocket() -> Int32 { Darwin.socket(AF_INET, SOCK_STREAM, 0) }
private func connectSocket(_ socket: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    Darwin.connect(socket, address, length)
}
#endif

/// HTTP/1.1 over a plain socket, with a `Host` header of the test's choosing (clients set their own), and idle
/// connections held open on purpose. Every blocking call runs off the cooperative threads (the server under test needs
/// them), and a read gives up after `readTimeout` seconds of silence rather than hanging the suite.
enum RawHTTP {
    static let readTimeout = 120
    struct Failure: Error {
        let what: String
    }

    static func connect(port: Int) throws -> Int32 {
        let socket = openTCPSocket()
        guard socket >= 0 else { throw Failure(what: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connectSocket(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(socket)
            throw Failure(what: "connect")
        }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    static func get(_ path: String, host: String, port: Int) async throws -> String {
        try await request("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n", port: port)
    }

    static func post(_ path: String, json: String, port: Int) async throws -> String {
        try await request(
            "POST \(path) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: \(json.utf8.count)\r\nConnection: close\r\n\r\n\(json)", port: port)
    }

    /// Sends `text` and reads until the server closes the connection.
    static func request(_ text: String, port: Int) async throws -> String {
        try await offloaded {
            let socket = try connect(port: port)
            defer { close(socket) }
            let bytes = Array(text.utf8)
            guard send(socket, bytes, bytes.count, 0) == bytes.count else { throw Failure(what: "send") }
            return String(decoding: readToEnd(socket), as: UTF8.self)
        }
    }

    /// Runs blocking socket work on a dispatch thread, never on one of the (two) cooperative threads the server needs.
    static func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    /// Reads until the server closes the connection (or stays silent for `readTimeout` seconds).
    static func readToEnd(_ socket: Int32) -> [UInt8] {
        var response = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count <= 0 { break }
            response.append(contentsOf: buffer[0..<count])
        }
        return response
    }
}
