import EmbedSyncCore
import EmbedSyncServer
import EmbedSyncTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// Auth, Host, CORS, media type, unknown routes and methods, body limits: every one answered in OpenAI's envelope.
@Suite("serve: security defaults and error envelopes")
struct SecurityAndErrorsTests {
    static let body = #"{"model":"scripted","input":"a"}"#

    @Test("with a token, /v1/* needs 'Authorization: Bearer TOKEN' (401 invalid_api_key); /healthz and / stay public")
    func bearerToken() async throws {
        let app = Fixture.app(ServerConfiguration(port: 0, token: "s3cret-token"))
        try await app.test(.router) { client in
            let missing = try await client.call(.post, "/v1/embeddings", json: Self.body)
            #expect(missing.status == 401)
            #expect(missing.error["code"] as? String == "invalid_api_key")
            let wrong = try await client.call(
                .post, "/v1/embeddings", json: Self.body, headers: [.authorization: "Bearer s3cret-tokem"])
            #expect(wrong.status == 401)
            #expect(!wrong.text.contains("s3cret"))
            let right = try await client.call(
                .post, "/v1/embeddings", json: Self.body, headers: [.authorization: "Bearer s3cret-token"])
            #expect(right.status == 200)
            #expect(try await client.call(.get, "/v1/models").status == 401)
            #expect(try await client.call(.get, "/metrics").status == 401)
            #expect(try await client.call(.get, "/healthz").status == 200)
            #expect(try await client.call(.get, "/").status == 200)
        }
    }

    @Test("without a token an Authorization header is ignored (SDKs always send one)")
    func noTokenIgnoresHeader() async throws {
        try await Fixture.app().test(.router) { client in
            let answer = try await client.call(
                .post, "/v1/embeddings", json: Self.body, headers: [.authorization: "Bearer EMPTY"])
            #expect(answer.status == 200)
        }
    }

    @Test("on loopback a Host naming another machine is refused (DNS rebinding); loopback names pass")
    func hostHeader() async throws {
        try await Fixture.app().test(.live) { client in
            let port = try #require(client.port)
            let evil = try await RawHTTP.get("/v1/models", host: "evil.example:\(port)", port: port)
            #expect(evil.hasPrefix("HTTP/1.1 403"), "\(evil.prefix(200))")
            #expect(evil.contains("permission_denied"))
            for host in ["localhost:\(port)", "127.0.0.1:\(port)", "[::1]:\(port)", "localhost"] {
                let answer = try await RawHTTP.get("/v1/models", host: host, port: port)
                #expect(answer.hasPrefix("HTTP/1.1 200"), "\(host): \(answer.prefix(200))")
            }
        }
    }

    @Test("POST bodies must be application/json: 415")
    func mediaType() async throws {
        try await Fixture.app().test(.router) { client in
            let plain = try await client.call(.post, "/v1/embeddings", json: Self.body, contentType: "text/plain")
            #expect(plain.status == 415)
            #expect(plain.error["type"] as? String == "invalid_request_error")
            let charset = try await client.call(
                .post, "/v1/embeddings", json: Self.body, contentType: "application/json; charset=utf-8")
            #expect(charset.status == 200)
        }
    }

    @Test("unknown route 404, known route with another method 405 with Allow, both in the envelope")
    func routing() async throws {
        try await Fixture.app().test(.router) { client in
            let unknown = try await client.call(.get, "/v1/nothing")
            #expect(unknown.status == 404)
            #expect(unknown.errorMessage == "Invalid URL (GET /v1/nothing).")
            let method = try await client.call(.get, "/v1/embeddings")
            #expect(method.status == 405)
            #expect(method.headers[.allow] == "POST")
            #expect(method.error["type"] as? String == "invalid_request_error")
        }
    }

    @Test("a body over --max-body-bytes is 413 stating the limit, live over a socket")
    func bodyLimit() async throws {
        let app = Fixture.app(ServerConfiguration(port: 0, maxBodyBytes: 2048))
        let big = #"{"model":"scripted","input":""# + String(repeating: "x", count: 5000) + #""}"#
        // A plain socket: the test client's fixed 20 s read timeout can pass when the whole suite shares two cores.
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let answer = try await RawHTTP.post("/v1/embeddings", json: big, port: port)
            #expect(answer.hasPrefix("HTTP/1.1 413"), "\(answer.prefix(300))")
            #expect(answer.contains("2048 bytes"), "\(answer)")
            let next = try await RawHTTP.post("/v1/embeddings", json: Self.body, port: port)
            #expect(next.hasPrefix("HTTP/1.1 200"), "\(next.prefix(300))")
        }
    }

    @Test("CORS is off unless listed; a listed origin gets its preflight (before auth) and its header")
    func cors() async throws {
        let app = Fixture.app(
            ServerConfiguration(port: 0, token: "t0ken", corsOrigins: ["https://app.example.com"]))
        try await app.test(.router) { client in
            let preflight = try await client.call(
                .options, "/v1/search",
                headers: [
                    .origin: "https://app.example.com", .accessControlRequestMethod: "POST",
                    .accessControlRequestHeaders: "authorization, content-type",
                ])
            #expect(preflight.status == 204)
            #expect(preflight.headers[.accessControlAllowOrigin] == "https://app.example.com")
            let listed = try await client.call(
                .post, "/v1/embeddings", json: Self.body,
                headers: [.origin: "https://app.example.com", .authorization: "Bearer t0ken"])
            #expect(listed.status == 200)
            #expect(listed.headers[.accessControlAllowOrigin] == "https://app.example.com")
            let other = try await client.call(
                .post, "/v1/embeddings", json: Self.body,
                headers: [.origin: "https://evil.example", .authorization: "Bearer t0ken"])
            #expect(other.headers[.accessControlAllowOrigin] == nil)
        }
        try await Fixture.app().test(.router) { client in
            let answer = try await client.call(
                .post, "/v1/embeddings", json: Self.body, headers: [.origin: "https://app.example.com"])
            #expect(answer.headers[.accessControlAllowOrigin] == nil)
        }
    }

    @Test("a non-loopback address without a token is refused at start, saying how to set one")
    func refusesExposedWithoutToken() throws {
        #expect(throws: EmbedSyncError.self) { try ServerConfiguration(host: "0.0.0.0").validate() }
        do {
            try ServerConfiguration(host: "0.0.0.0").validate()
        } catch let error as EmbedSyncError {
            #expect(error.message.contains("--token-env"))
        }
        try ServerConfiguration(host: "0.0.0.0", token: "x").validate()
        try ServerConfiguration(host: "127.0.0.1").validate()
    }

    @Test("the page is self-contained HTML under a strict CSP; /healthz is JSON")
    func pageAndHealth() async throws {
        try await Fixture.app().test(.router) { client in
            let page = try await client.call(.get, "/")
            #expect(page.status == 200)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            let csp = page.headers[.contentSecurityPolicy] ?? ""
            #expect(csp.contains("default-src 'none'") && csp.contains("script-src 'sha256-"))
            #expect(!page.text.contains("http://") && !page.text.contains("https://"))
            #expect(page.text.contains("v1/search"))
            let health = try await client.call(.get, "/healthz")
            #expect(health.status == 200)
            #expect(health.json["model"] as? String == "scripted")
            #expect(health.json["dimensions"] as? Int == 8)
        }
    }
}
