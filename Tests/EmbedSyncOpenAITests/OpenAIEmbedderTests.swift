import EmbedSyncCore
import EmbedSyncOpenAI
import EmbedSyncTesting
import Testing

@Suite("OpenAIEmbedder against a real local HTTP server")
struct OpenAIEmbedderTests {
    static let key = "sk-canary-ZXCVBNMASDFGHJKL123456"

    /// A client for `server`. The timeout is generous, so a loaded machine does not turn answers into timeouts.
    func embedder(
        _ server: FakeProviderServer, key: String? = OpenAIEmbedderTests.key, dimensions: Int = 8, send: Bool = false,
        timeout: Double = 30
    ) -> OpenAIEmbedder {
        OpenAIEmbedder(
            configuration: .init(
                provider: .openAICompatible, baseURL: server.baseURL, apiKey: key, apiKeyVariable: "TEST_KEY",
                model: "fake",
                dimensions: dimensions, sendDimensions: send, timeout: timeout),
            tokenCounter: ApproximateTokenCounter(reason: "test"))
    }

    func withServer(
        _ options: FakeProviderServer.Options = .init(apiKey: OpenAIEmbedderTests.key),
        _ body: (FakeProviderServer) async throws -> Void
    ) async throws {
        let server = try await FakeProviderServer.start(options)
        do {
            try await body(server)
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    @Test("returns one vector per input, in order, and the billed tokens")
    func embeds() async throws {
        try await withServer { server in
            let response = try await embedder(server).embed(["alpha beta", "gamma"])
            #expect(
                response.vectors == [
                    FakeProviderServer.vector(for: "alpha beta", dimensions: 8),
                    FakeProviderServer.vector(for: "gamma", dimensions: 8),
                ])
            #expect(response.billedTokens == 5)
        }
    }

    @Test("sends dimensions when asked")
    func dimensions() async throws {
        try await withServer { server in
            let response = try await embedder(server, dimensions: 4, send: true).embed(["x"])
            #expect(response.vectors[0].count == 4)
            #expect(server.stats.requestedDimensions == [4])
        }
    }

    @Test(
        "classifies HTTP statuses",
        arguments: [
            (429, ProviderError.Kind.rateLimited), (500, .transient), (503, .transient), (408, .transient),
            (409, .transient),
            (400, .rejected), (422, .rejected), (401, .authentication), (403, .authentication), (402, .noCredits),
            (404, .fatal),
        ])
    func statuses(_ status: Int, _ kind: ProviderError.Kind) async throws {
        try await withServer { server in
            server.enqueue(.status(status, retryAfter: "3"))
            await #expect(
                performing: { try await embedder(server).embed(["x"]) },
                throws: { error in
                    guard let error = error as? ProviderError else { return false }
                    return error.kind == kind && (status != 429 || error.retryAfter == 3)
                })
        }
    }

    @Test("a wrong key is fatal, names the variable and never shows the key")
    func wrongKey() async throws {
        try await withServer { server in
            let wrong = "sk-wrong-QWERTYUIOPLKJHGFDSA987"
            await #expect(
                performing: { try await embedder(server, key: wrong).embed(["x"]) },
                throws: { error in
                    let text = "\(error)"
                    return (error as? ProviderError)?.kind == .authentication && text.contains("TEST_KEY")
                        && !text.contains(wrong)
                })
        }
    }

    @Test("a body cut mid-JSON is a transient error")
    func cutBody() async throws {
        try await withServer { server in
            server.enqueue(.cutBody)
            await #expect(
                performing: { try await embedder(server).embed(["x", "y"]) },
                throws: { error in
                    (error as? ProviderError)?.kind == .transient
                })
            let retried = try await embedder(server).embed(["x"])
            #expect(retried.vectors.count == 1)
        }
    }

    @Test(
        "an error inside a 200 body is classified by its code",
        arguments: [(Int?.none, ProviderError.Kind.transient), (402, .noCredits), (429, .rateLimited)])
    func errorIn200(_ code: Int?, _ kind: ProviderError.Kind) async throws {
        try await withServer { server in
            server.enqueue(.errorIn200(code: code, message: "upstream failed"))
            await #expect(
                performing: { try await embedder(server).embed(["x"]) },
                throws: { error in
                    (error as? ProviderError)?.kind == kind
                })
        }
    }

    @Test("bare NaN in the body is read, so only that vector is invalid")
    func nan() async throws {
        try await withServer { server in
            let response = try await embedder(server).embed(["fine", "NAN! here"])
            #expect(response.vectors[0].allSatisfy { $0.isFinite })
            #expect(response.vectors[1].allSatisfy { $0.isNaN })
        }
    }

    /// The server holds the request and never answers until the test lets it: only the client's own timeout can end
    /// the call. A client that waited would hang, and the time limit fails the test (no wall-clock comparison that a
    /// busy machine could trip).
    @Test("a request past the timeout is a transient error", .timeLimit(.minutes(2)))
    func timeout() async throws {
        try await withServer { server in
            server.closeGate(after: 0)
            await #expect(
                performing: { try await embedder(server, timeout: 1).embed(["x"]) },
                throws: { error in
                    (error as? ProviderError)?.kind == .transient
                })
            #expect(server.heldRequests == 1, "the request was sent and held, not refused")
            server.openGate()
        }
    }

    @Test("an unreachable server is reported as unreachable")
    func unreachable() async throws {
        let port: Int
        do {
            let server = try await FakeProviderServer.start()
            port = server.port
            try await server.shutdown()
        }
        let embedder = OpenAIEmbedder(
            configuration: .init(
                provider: .openAICompatible, baseURL: "http://127.0.0.1:\(port)/v1", apiKey: nil, apiKeyVariable: nil,
                model: "m",
                dimensions: 8, sendDimensions: false, timeout: 2),
            tokenCounter: ApproximateTokenCounter(reason: "test"))
        await #expect(
            performing: { try await embedder.embed(["x"]) },
            throws: { error in
                (error as? ProviderError)?.kind == .unreachable
            })
    }
}
