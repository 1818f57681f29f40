import EmbedSyncCore
import EmbedSyncServer
import EmbedSyncTesting
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `POST /v1/embeddings` as OpenAI's SDKs use it, through the router.
@Suite("POST /v1/embeddings: OpenAI's contract")
struct EmbeddingsContractTests {
    @Test("a string in, one float vector out, with the served model and usage")
    func floatVector() async throws {
        try await Fixture.app().test(.router) { client in
            let answer = try await client.call(
                .post, "/v1/embeddings", json: #"{"model":"scripted","input":"hello world"}"#)
            #expect(answer.status == 200)
            #expect(answer.json["object"] as? String == "list")
            #expect(answer.json["model"] as? String == "scripted")
            #expect(answer.data.count == 1)
            #expect(answer.data.first?["object"] as? String == "embedding")
            #expect(answer.data.first?["index"] as? Int == 0)
            let vector = Fixture.floats(answer.data.first?["embedding"])
            #expect(vector == FakeProviderServer.vector(for: "hello world", dimensions: 8))
            let usage = answer.json["usage"] as? [String: Any]
            #expect(usage?["prompt_tokens"] as? Int == 3)
            #expect(usage?["total_tokens"] as? Int == 3)
        }
    }

    @Test("base64 is standard base64 of little-endian float32 and equals the float answer, in input order")
    func base64RoundTrip() async throws {
        try await Fixture.app().test(.router) { client in
            let body = #"{"model":"scripted","input":["one","two","three"],"encoding_format":"base64"}"#
            let answer = try await client.call(.post, "/embeddings", json: body)
            #expect(answer.status == 200)
            #expect(answer.data.map { $0["index"] as? Int } == [0, 1, 2])
            for (item, text) in zip(answer.data, ["one", "two", "three"]) {
                let encoded = try #require(item["embedding"] as? String)
                #expect(encoded.count == 44)  // 8 floats = 32 bytes
                #expect(Fixture.decodeBase64(encoded) == FakeProviderServer.vector(for: text, dimensions: 8))
            }
        }
    }

    @Test("model aliases and dimensions equal to the model's own are accepted; null dimensions too")
    func aliasesAndDimensions() async throws {
        try await Fixture.app(aliases: ["text-embedding-3-small"]).test(.router) { client in
            for body in [
                #"{"model":"text-embedding-3-small","input":"a"}"#, #"{"model":"scripted/scripted@8","input":"a"}"#,
                #"{"model":"scripted","input":"a","dimensions":8}"#,
                #"{"model":"scripted","input":"a","dimensions":null,"user":"u1"}"#,
            ] {
                let answer = try await client.call(.post, "/v1/embeddings", json: body)
                #expect(answer.status == 200, "\(body): \(answer.text)")
            }
        }
    }

    @Test("inputs past the model window are cut as `embedsync run` cuts them; usage counts what was embedded")
    func truncation() async throws {
        let limits = ProviderLimits(
            maxInputs: 2048, maxTokensPerInput: 4, maxTokensPerRequest: 300_000, defaultBatchSize: 16)
        let long = String(repeating: "abcdefgh ", count: 20)
        try await Fixture.app(embedder: ScriptedEmbedder(limits: limits)).test(.router) { client in
            let answer = try await client.call(
                .post, "/v1/embeddings", json: #"{"model":"scripted","input":["\#(long)","ab"]}"#)
            #expect(answer.status == 200)
            let cut = String(long.prefix(16))
            #expect(
                Fixture.floats(answer.data.first?["embedding"]) == FakeProviderServer.vector(for: cut, dimensions: 8))
            #expect((answer.json["usage"] as? [String: Any])?["prompt_tokens"] as? Int == 5)
        }
    }

    @Test("every malformed request is a 400 in OpenAI's envelope, with its wording")
    func badRequests() async throws {
        let cases: [(body: String, param: String?, message: String)] = [
            (#"{"model":"scripted","input":""}"#, "input", "'$.input' is invalid."),
            (#"{"model":"scripted","input":[]}"#, "input", "'$.input' is invalid."),
            (#"{"model":"scripted","input":[""]}"#, "input", "'$.input' is invalid."),
            (#"{"model":"scripted"}"#, "input", "'input' is a required property"),
            (#"{"input":"a"}"#, "model", "you must provide a model parameter"),
            (#"{"model":"scripted","input":[[57668, 53901]]}"#, "input", "check_embedding_ctx_length=False"),
            (#"{"model":"scripted","input":[1, 2, 3]}"#, "input", "token ids"),
            (#"{"model":"scripted","input":[1, "a"]}"#, "input", "'$.input' is invalid."),
            (
                #"{"model":"scripted","input":"a","encoding_format":"md5"}"#, "encoding_format",
                "Invalid value for 'encoding_format' = md5. Supported values: ['float', 'base64']."
            ),
            (
                #"{"model":"scripted","input":"a","dimensions":4}"#, "dimensions",
                "This model does not support specifying dimensions."
            ),
            (#"{"model":"scripted","input":"a","dimensions":"x"}"#, "dimensions", "'$.dimensions' is invalid."),
            (#"{"model":"scripted","input":"#, nil, "We could not parse the JSON body of your request."),
            (#"[1,2]"#, nil, "We could not parse the JSON body"),
        ]
        let many = "[" + Array(repeating: "\"x\"", count: 2049).joined(separator: ",") + "]"
        try await Fixture.app().test(.router) { client in
            for item in cases + [(#"{"model":"scripted","input":\#(many)}"#, "input", "at most 2048 inputs")] {
                let answer = try await client.call(.post, "/v1/embeddings", json: item.body)
                #expect(answer.status == 400, "\(item.body.prefix(80)): \(answer.text)")
                #expect(answer.error["type"] as? String == "invalid_request_error")
                #expect(answer.error["param"] as? String == item.param, "\(item.body.prefix(80))")
                #expect(answer.errorMessage.contains(item.message), "\(answer.errorMessage)")
                #expect(answer.error.keys.sorted() == ["code", "message", "param", "type"])
            }
        }
    }

    @Test("an unknown model is 404 model_not_found naming the served id; /v1/models lists it")
    func models() async throws {
        try await Fixture.app().test(.router) { client in
            let answer = try await client.call(.post, "/v1/embeddings", json: #"{"model":"gpt-4o","input":"a"}"#)
            #expect(answer.status == 404)
            #expect(answer.error["code"] as? String == "model_not_found")
            #expect(answer.error["param"] as? String == "model")
            #expect(answer.errorMessage.contains("`scripted`"))
            let models = try await client.call(.get, "/v1/models")
            #expect(models.status == 200)
            #expect(models.json["object"] as? String == "list")
            #expect(models.data.first?["id"] as? String == "scripted")
            #expect(models.data.first?["object"] as? String == "model")
        }
    }

    @Test("a provider failure is a 5xx for the SDK to retry; a provider rate limit is 429 with Retry-After")
    func providerFailures() async throws {
        let embedder = ScriptedEmbedder()
        embedder.fail(with: ProviderError(.rateLimited, "slow down", statusCode: 429, retryAfter: 2))
        embedder.fail(with: ProviderError(.transient, "upstream broke", statusCode: 503))
        try await Fixture.app(embedder: embedder).test(.router) { client in
            let limited = try await client.call(.post, "/v1/embeddings", json: #"{"model":"scripted","input":"a"}"#)
            #expect(limited.status == 429)
            #expect(limited.headers[.retryAfter] == "2")
            let failed = try await client.call(.post, "/v1/embeddings", json: #"{"model":"scripted","input":"a"}"#)
            #expect(failed.status == 502)
            #expect(failed.error["type"] as? String == "server_error")
        }
    }
}
