/// Spaces requests evenly to a requests-per-minute and a tokens-per-minute rate, and sizes how many may be in
/// flight by Little's law (rate × measured latency).
///
/// Each budget keeps the earliest time its next request may start. A request of `n` tokens moves the token budget's
/// time on by `n / rate`, so requests go out at an even pace from the first one: no minute's budget in a burst at
/// the start, and no credit saved up while the run was slow beyond a tenth of a second (``burstSeconds``), which
/// absorbs late wake-ups without letting a burst through. Over any window the requests started stay within the rate,
/// plus one request and that tenth of a second's worth.
///
/// Rates come from the configuration and from what the provider reports (``observe(_:)``): the lower of the two
/// paces. A provider's `Retry-After` pauses every request (``pause(seconds:)``). Each process paces itself: several
/// `embedsync run` workers sharing one key should each be given their share of it.
///
/// ```swift
/// let pacer = Pacer(requestsPerMinute: 600, tokensPerMinute: 60_000, clock: SystemClock())
/// try await pacer.acquire(tokens: 240)  // returns when the request may start
/// ```
public actor Pacer {
    /// Seconds of unused budget a late request may catch up on; more would be a burst.
    public let burstSeconds: Double
    let clock: any PipelineClock
    let configuredRequests: Double?
    let configuredTokens: Double?
    /// Per-minute limits the provider reported.
    var reportedRequests: Double?
    var reportedTokens: Double?
    /// The earliest start of the next request, by each budget.
    var nextByRequests: Double
    var nextByTokens: Double
    /// No request starts before this (a provider's `Retry-After`, or its budget reported as spent).
    var pausedUntil: Double
    /// Moving averages of request latency (seconds) and tokens per request.
    var latency: Double?
    var tokensPerRequest: Double?
    /// When the last request started and its tokens, to book it once a rate becomes known.
    var lastStart: (time: Double, tokens: Int)?

    /// Creates a pacer; `nil` limits do not pace until the provider reports one.
    /// - Parameters:
    ///   - requestsPerMinute: the most requests to start per minute.
    ///   - tokensPerMinute: the most tokens to send per minute.
    ///   - clock: the clock to wait on; tests pass `TestClock`.
    ///   - burstSeconds: unused budget, in seconds of the rate, that a late request may still use.
    public init(
        requestsPerMinute: Int?, tokensPerMinute: Int?, clock: any PipelineClock, burstSeconds: Double = 0.1
    ) {
        self.configuredRequests = requestsPerMinute.map(Double.init)
        self.configuredTokens = tokensPerMinute.map(Double.init)
        self.clock = clock
        self.burstSeconds = max(0, burstSeconds)
        let now = clock.now()
        nextByRequests = now
        nextByTokens = now
        pausedUntil = now
    }

    /// The requests-per-minute rate being paced to: the configured one or the provider's, whichever is lower.
    public var requestsPerMinute: Double? { lower(configuredRequests, reportedRequests) }

    /// The tokens-per-minute rate being paced to: the configured one or the provider's, whichever is lower.
    public var tokensPerMinute: Double? { lower(configuredTokens, reportedTokens) }

    /// Whether any rate paces requests.
    public var isPacing: Bool { requestsPerMinute != nil || tokensPerMinute != nil }

    /// Waits until a request of `tokens` tokens may start within every rate, then books it.
    ///
    /// A request larger than a whole minute's tokens is booked as one minute's worth, so it still goes.
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    public func acquire(tokens: Int) async throws {
        while true {
            let now = clock.now()
            let requestRate = requestsPerMinute
            let tokenRate = tokensPerMinute
            var start = pausedUntil
            if requestRate != nil { start = max(start, nextByRequests) }
            if tokenRate != nil { start = max(start, nextByTokens) }
            if start <= now {
                if let requestRate {
                    nextByRequests = max(nextByRequests, now - burstSeconds) + 60 / requestRate
                }
                if let tokenRate {
                    let cost = min(Double(max(0, tokens)), tokenRate)
                    nextByTokens = max(nextByTokens, now - burstSeconds) + cost * 60 / tokenRate
                }
                lastStart = (now, tokens)
                return
            }
            try await clock.sleep(seconds: start - now)
        }
    }

    /// Corrects a request's token charge once the provider said what it counted (`usage`).
    /// - Parameters:
    ///   - counted: the tokens ``acquire(tokens:)`` booked.
    ///   - billed: the tokens the provider reported.
    public func settle(counted: Int, billed: Int) {
        guard let tokenRate = tokensPerMinute, billed != counted else { return }
        nextByTokens += Double(billed - counted) * 60 / tokenRate
    }

    /// Holds every request back for `seconds` (a provider's `Retry-After`).
    public func pause(seconds: Double) {
        guard seconds > 0 else { return }
        pausedUntil = max(pausedUntil, clock.now() + seconds)
    }

    func lower(_ first: Double?, _ second: Double?) -> Double? {
        switch (first, second) {
        case (let first?, let second?): min(first, second)
        case (let first?, nil): first
        case (nil, let second?): second
        case (nil, nil): nil
        }
    }
}
