import EmbedSyncCore
import Foundation
import NIOHTTP1

/// Reads OpenAI's rate-limit headers into the pipeline's neutral ``RateLimitHint``.
///
/// OpenAI sends, with every response, `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`,
/// `x-ratelimit-reset-requests` and the `-tokens` equivalents; resets are Go durations such as `1s`, `6m0s` or
/// `20ms`. Other OpenAI-style servers (LiteLLM, vLLM behind a gateway) often send the same names.
public enum RateLimitHeaders {
    /// The hint in `headers`, or `nil` when they say nothing about limits.
    /// - Parameter headers: a response's headers.
    /// - Returns: the requests and tokens budgets, each field `nil` when its header is missing or unreadable.
    public static func hint(from headers: HTTPHeaders) -> RateLimitHint? {
        let hint = RateLimitHint(requests: budget("requests", in: headers), tokens: budget("tokens", in: headers))
        return hint.isEmpty ? nil : hint
    }

    static func budget(_ kind: String, in headers: HTTPHeaders) -> RateLimitHint.Budget {
        func integer(_ name: String) -> Int? {
            headers.first(name: "x-ratelimit-\(name)-\(kind)").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        }
        return RateLimitHint.Budget(
            limitPerMinute: integer("limit").flatMap { $0 > 0 ? $0 : nil },
            remaining: integer("remaining").map { max(0, $0) },
            resetSeconds: headers.first(name: "x-ratelimit-reset-\(kind)").flatMap(seconds(fromDuration:)))
    }

    /// Seconds in a Go duration (`1s`, `6m0s`, `20ms`, `1h2m3.5s`, `150us`), or in a bare number of seconds.
    /// - Returns: `nil` for anything else, or a negative duration.
    public static func seconds(fromDuration text: String) -> Double? {
        let text = text.trimmingCharacters(in: .whitespaces)
        if let plain = Double(text) { return plain >= 0 ? plain : nil }
        let units: [(String, Double)] = [
            ("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600),
        ]
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unitText = rest.prefix { !$0.isNumber && $0 != "." }
            guard let unit = units.first(where: { $0.0 == unitText }) else { return nil }
            rest = rest.dropFirst(unitText.count)
            total += value * unit.1
        }
        return total
    }
}
