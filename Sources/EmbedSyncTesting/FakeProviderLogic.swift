import EmbedSyncCore
import Foundation
import NIOHTTP1

/// Decides the fake provider's answer to one request.
struct FakeProviderLogic {
    let server: FakeProviderServer

    func respond(head: HTTPRequestHead, body: [UInt8]) -> FakeReply {
        let options = server.options
        let authorization = head.headers.first(name: "Authorization")
        let fault: FakeProviderServer.Fault? = server.state.withLock { state in
            state.stats.requests += 1
            if let authorization { state.stats.authorizations.insert(authorization) }
            return state.faults.isEmpty ? nil : state.faults.removeFirst()
        }
        var reply = FakeReply()
        reply.delay = options.latency
        if head.method == .GET, head.uri.hasSuffix("/stats") {
            reply.delay = 0
            reply.body = server.statsBody()
            return reply
        }
        if FakeBatchAPI.handles(head.uri) {
            if let key = options.apiKey, authorization != "Bearer \(key)" {
                return error(401, "Incorrect API key provided.", delay: reply.delay)
            }
            if case .status(let status, let retryAfter, let message) = fault {
                var faulted = error(status, message, delay: reply.delay)
                if let retryAfter { faulted.headers.append(("Retry-After", retryAfter)) }
                return faulted
            }
            var answer = FakeBatchAPI(server: server).respond(head: head, body: body)
            answer.delay += reply.delay
            return answer
        }
        guard head.method == .POST, head.uri.hasSuffix("/embeddings") else {
            return error(404, "no route \(head.method) \(head.uri)", delay: reply.delay)
        }
        if let key = options.apiKey, authorization != "Bearer \(key)" {
            return error(401, "Incorrect API key provided.", delay: reply.delay)
        }
        guard let json = try? LenientJSON.parse(body), let inputs = json["input"]?.array?.compactMap(\.string),
            !inputs.isEmpty
        else {
            return error(400, "'input' must be a non-empty array of strings", delay: reply.delay)
        }
        let dimensions = json["dimensions"]?.int ?? options.dimensions
        let tokens = inputs.reduce(0) { $0 + options.tokenCount($1) }
        let arrival = FakeProviderServer.Arrival(
            time: server.elapsed, inputs: inputs.count, tokens: tokens, firstInput: inputs[0])
        reply.headers = server.rateLimitHeaders(tokens: tokens, now: arrival.time)
        server.state.withLock { state in
            state.stats.arrivals.append(arrival)
            state.stats.inputsSeen.append(contentsOf: inputs)
            if let requested = json["dimensions"]?.int { state.stats.requestedDimensions.insert(requested) }
        }
        switch fault {
        case .status(let status, let retryAfter, let message):
            var faulted = error(status, message, delay: reply.delay)
            faulted.headers = reply.headers
            if let retryAfter { faulted.headers.append(("Retry-After", retryAfter)) }
            return faulted
        case .errorIn200(let code, let message):
            var object = "{\"error\":{\"message\":\"\(message)\""
            if let code { object += ",\"code\":\(code)" }
            object += "}}"
            reply.body = Array(object.utf8)
            return reply
        case .delay(let seconds):
            reply.delay += seconds
        case .cutBody:
            reply.cut = true
        case .missingVector, .none:
            break
        }
        if inputs.contains(where: { $0.contains("POISON") }) {
            return error(
                400, "Invalid input: the input contains a forbidden marker.", delay: reply.delay, cut: reply.cut)
        }
        if let limit = options.maxInputTokens, let long = inputs.first(where: { options.tokenCount($0) > limit }) {
            let tokens = options.tokenCount(long)
            if let message = options.overflowMessage { return error(400, message, delay: reply.delay, cut: reply.cut) }
            return error(
                400,
                """
                This model's maximum context length is \(limit) tokens, however you requested \(tokens) tokens \
                (\(tokens) in your prompt; 0 for the completion). Please reduce your prompt; or completion length.
                """, delay: reply.delay, cut: reply.cut)
        }
        var served = inputs
        if case .missingVector = fault { served.removeLast() }
        var text = "{\"object\":\"list\",\"data\":["
        for (index, input) in served.enumerated() {
            if index > 0 { text += "," }
            text += "{\"object\":\"embedding\",\"index\":\(index),\"embedding\":["
            var vector = FakeProviderServer.vector(for: input, dimensions: dimensions)
            if input.contains("WRONGDIM") { vector.removeLast() }
            let nan = input.contains("NAN!")
            text += vector.map { nan ? "NaN" : "\($0)" }.joined(separator: ",")
            text += "]}"
        }
        text +=
            """
            ],"model":"\(json["model"]?.string ?? "")",\
            "usage":{"prompt_tokens":\(tokens),"total_tokens":\(tokens)}}
            """
        reply.body = Array(text.utf8)
        if !reply.cut {
            server.state.withLock { state in
                state.stats.inputsEmbedded += inputs.count
                state.stats.tokensBilled += tokens
                for input in inputs { state.stats.embeddedCounts[input, default: 0] += 1 }
            }
        }
        return reply
    }

    func error(_ status: Int, _ message: String, delay: Double, cut: Bool = false) -> FakeReply {
        var reply = FakeReply()
        reply.status = status
        reply.delay = delay
        reply.cut = cut
        let escaped = message.replacingOccurrences(of: "\"", with: "'")
        reply.body = Array(
            "{\"error\":{\"message\":\"\(escaped)\",\"type\":\"invalid_request_error\",\"code\":null}}".utf8)
        return reply
    }
}
