import EmbedSyncCore
import EmbedSyncServer
import EmbedSyncTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Clients that misbehave on purpose, live over sockets: deeply nested JSON and clients that stall mid-request.
/// The server answers or drops them without crashing, keeps serving everyone else, and holds no connection forever.
@Suite("serve: hostile clients")
struct HostileClientTests {
    static let body = #"{"model":"scripted","input":"a"}"#

    @Test("JSON nested 100,000 deep (in input, in where, at the top) is a 400 in the envelope; the server lives on")
    func deepNesting() async throws {
        let depth = 100_000
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        let bodies = [
            (path: "/v1/embeddings", json: #"{"model":"scripted","input":"# + arrays + "}"),
            (path: "/v1/embeddings", json: arrays),
            (path: "/v1/search", json: #"{"query":"q","where":{"title":{"in":"# + arrays + "}}}"),
            (path: "/v1/search", json: #"{"query":"q","where":"# + objects + "}"),
        ]
        let app = Fixture.app(ServerConfiguration(port: 0))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            for (path, json) in bodies {
                let answer = try await RawHTTP.post(path, json: json, port: port)
                #expect(answer.hasPrefix("HTTP/1.1 4"), "\(path): \(answer.prefix(300))")
                #expect(answer.contains(#""error":{"#), "\(path): \(answer.prefix(300))")
            }
            let next = try await RawHTTP.post("/v1/embeddings", json: Self.body, port: port)
            #expect(next.hasPrefix("HTTP/1.1 200"), "\(next.prefix(300))")
        }
    }

    @Test("40 clients stalled mid-request do not hold up others, and are cut off after the idle timeout")
    func stalledClients() async throws {
        let app = Fixture.app(ServerConfiguration(port: 0, idleTimeoutSeconds: 2))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            // Headers promising 100 bytes of body, then 8 of them, then silence.
            let partial = Array(
                ("POST /v1/embeddings HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"input\"").utf8)
            var stalled: [Int32] = []
            for _ in 0..<40 {
                let socket = try RawHTTP.connect(port: port)
                #expect(send(socket, partial, partial.count, 0) == partial.count)
                stalled.append(socket)
            }
            let answer = try await RawHTTP.post("/v1/embeddings", json: Self.body, port: port)
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(300))")
            // Each stalled connection ends (the server closes it, with or without an answer) instead of waiting for
            // the rest of its body.
            let started = Date()
            let sockets = stalled
            let ends = try await RawHTTP.offloaded {
                sockets.map { socket -> Double in
                    defer { close(socket) }
                    // A server that never closes fails the test in about a minute, not 40 read timeouts.
                    guard Date().timeIntervalSince(started) < 60 else { return .infinity }
                    var timeout = timeval(tv_sec: 10, tv_usec: 0)
                    setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
                    _ = RawHTTP.readToEnd(socket)
                    return Date().timeIntervalSince(started)
                }
            }
            #expect(ends.allSatisfy { $0 < 60 }, "stalled connections stayed open: \(ends.max() ?? 0) s")
            let after = try await RawHTTP.post("/v1/embeddings", json: Self.body, port: port)
            #expect(after.hasPrefix("HTTP/1.1 200"), "\(after.prefix(300))")
        }
    }
}
