// A fake OpenAI-style embeddings server for trying EmbedSync without a key:
//   embedsync-fake-provider [--port N] [--dimensions N] [--api-key KEY] [--latency SECONDS]
//                           [--limit-requests PER_MINUTE] [--limit-tokens PER_MINUTE]
//                           [--max-input-tokens N [--tokens-per-scalar]]
// --max-input-tokens refuses longer inputs with OpenAI's 400 "maximum context length" message; --tokens-per-scalar
// counts one token per Unicode scalar (as a text of CJK or symbols can), so EmbedSync's estimates fall short.
// It prints its base URL and serves until killed. See EmbedSyncTesting.FakeProviderServer for the fault markers.
// --limit-* send OpenAI's x-ratelimit-* headers for those limits; GET /v1/stats lists every request's arrival.
import EmbedSyncTesting
import Foundation

var options = FakeProviderServer.Options()
var port = 0
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--port": port = arguments.next().flatMap(Int.init) ?? 0
    case "--dimensions": options.dimensions = arguments.next().flatMap(Int.init) ?? options.dimensions
    case "--api-key": options.apiKey = arguments.next()
    case "--latency": options.latency = arguments.next().flatMap(Double.init) ?? 0
    case "--max-input-tokens": options.maxInputTokens = arguments.next().flatMap(Int.init)
    case "--tokens-per-scalar": options.tokenCount = { $0.unicodeScalars.count }
    case "--limit-requests":
        options.rateLimits = options.rateLimits ?? .init()
        options.rateLimits?.requestsPerMinute = arguments.next().flatMap(Int.init)
    case "--limit-tokens":
        options.rateLimits = options.rateLimits ?? .init()
        options.rateLimits?.tokensPerMinute = arguments.next().flatMap(Int.init)
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
        exit(2)
    }
}
let server = try await FakeProviderServer.start(options, port: port)
FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
while true {
    try await Task.sleep(for: .seconds(3600))
}
