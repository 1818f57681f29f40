import EmbedSyncCore
import Foundation

extension FakeProviderServer {
    /// Per-minute limits the fake provider reports in OpenAI's `x-ratelimit-*` headers.
    ///
    /// Each budget is a bucket that starts full, holds one minute's limit and refills continuously, as OpenAI's do;
    /// every request takes one request and its tokens from them. The server reports what is left (never below zero)
    /// and when the bucket is full again; it does not refuse requests itself.
    public struct RateLimits: Sendable {
        public var requestsPerMinute: Int?
        public var tokensPerMinute: Int?

        public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
        }
    }

    /// One request as the server saw it arrive.
    public struct Arrival: Sendable {
        /// Seconds since the server started, on a monotonic clock.
        public var time: Double
        /// Inputs in the request.
        public var inputs: Int
        /// Tokens the server counts for it (what it bills when it answers).
        public var tokens: Int
        /// Its first input: a retry of a request carries the same one.
        public var firstInput: String = ""
    }

    /// Takes one request of `tokens` tokens from the rate-limit buckets and returns the headers reporting them.
    func rateLimitHeaders(tokens: Int, now: Double) -> [(String, String)] {
        guard let limits = options.rateLimits else { return [] }
        return state.withLock { state in
            var headers: [(String, String)] = []
            for (kind, limit, cost) in [
                ("requests", limits.requestsPerMinute, 1), ("tokens", limits.tokensPerMinute, tokens),
            ] {
                guard let limit, limit > 0 else { continue }
                var bucket = state.buckets[kind] ?? (level: Double(limit), at: now)
                let rate = Double(limit) / 60
                bucket.level = min(Double(limit), bucket.level + (now - bucket.at) * rate) - Double(cost)
                bucket.at = now
                state.buckets[kind] = bucket
                let remaining = max(0, Int(bucket.level.rounded(.down)))
                let reset = (Double(limit) - max(0, bucket.level)) / rate
                headers.append(("x-ratelimit-limit-\(kind)", String(limit)))
                headers.append(("x-ratelimit-remaining-\(kind)", String(remaining)))
                headers.append(("x-ratelimit-reset-\(kind)", Self.goDuration(reset)))
            }
            return headers
        }
    }

    /// A duration as Go (and so OpenAI) writes it: `20ms`, `1s`, `6m0s`.
    static func goDuration(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        let minutes = Int(seconds / 60)
        let rest = seconds - Double(minutes * 60)
        let secondsText = rest == rest.rounded() ? String(Int(rest)) : String(format: "%.3f", rest)
        return minutes > 0 ? "\(minutes)m\(secondsText)s" : "\(secondsText)s"
    }

    /// `GET /stats`: every arrival as `{"arrivals": [[seconds, inputs, tokens], …], "requests": N}`, for scripts
    /// that measure what a run sent (Benchmarks/ratelimit.sh).
    func statsBody() -> [UInt8] {
        let stats = self.stats
        let rows = stats.arrivals.map { String(format: "[%.6f,%d,%d]", $0.time, $0.inputs, $0.tokens) }
        return Array("{\"requests\":\(stats.requests),\"arrivals\":[\(rows.joined(separator: ","))]}".utf8)
    }
}

extension Sequence where Element == FakeProviderServer.Arrival {
    /// The largest total of `value` over the arrivals in any window of `seconds` (each window starting at an
    /// arrival, end excluded), e.g. the most requests or tokens the provider saw in any 10 s.
    public func maximum(over seconds: Double, of value: (FakeProviderServer.Arrival) -> Double) -> Double {
        let sorted = self.sorted { $0.time < $1.time }
        var best = 0.0
        var total = 0.0
        var end = 0
        for start in sorted.indices {
            while end < sorted.count, sorted[end].time < sorted[start].time + seconds {
                total += value(sorted[end])
                end += 1
            }
            best = Swift.max(best, total)
            total -= value(sorted[start])
        }
        return best
    }
}
