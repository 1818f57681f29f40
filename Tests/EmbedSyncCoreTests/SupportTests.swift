import EmbedSyncCore
import Testing

@Suite("IDSelection")
struct IDSelectionTests {
    @Test("parses single ids and inclusive ranges")
    func parses() throws {
        let selection = try IDSelection(parsing: "1,5, 10-20")
        #expect(selection.contains(.int(1)))
        #expect(selection.contains(.int(5)))
        #expect(selection.contains(.int(10)))
        #expect(selection.contains(.int(20)))
        #expect(!selection.contains(.int(21)))
        #expect(!selection.contains(.int(2)))
    }

    @Test("rejects malformed lists", arguments: ["", "1,,2", "20-10", "5-x", ","])
    func rejects(_ text: String) {
        #expect(throws: EmbedSyncError.self) { try IDSelection(parsing: text) }
    }

    @Test("non-numeric items select text ids")
    func textIDs() throws {
        let selection = try IDSelection(parsing: "abc,42")
        #expect(selection.contains(.text("abc")))
        #expect(selection.contains(.int(42)))
        #expect(!selection.contains(.text("abd")))
    }
}

@Suite("RetryPolicy")
struct RetryPolicyTests {
    @Test("Retry-After wins over the exponential backoff, never sooner, spread over up to a quarter more")
    func retryAfter() {
        let policy = RetryPolicy(maxRetries: 5, baseDelay: 0.5, maxDelay: 30)
        #expect(policy.delay(beforeRetry: 3, retryAfter: 8, jitter: 0) == 8)
        #expect(policy.delay(beforeRetry: 3, retryAfter: 8, jitter: 0.5) == 9)
        #expect(policy.delay(beforeRetry: 1, retryAfter: 1, jitter: 0.5) == 1.125, "at least 0.25 s of spread")
        #expect(policy.delay(beforeRetry: 1, retryAfter: 100, jitter: 1) == 105, "at most 5 s")
        // Eight workers told "1 second" at once come back spread over a quarter second, not in one instant.
        let returns = (0..<8).map { policy.delay(beforeRetry: 1, retryAfter: 1, jitter: Double($0) / 8) }
        #expect(Set(returns).count == 8)
        #expect((returns.max() ?? 0) - (returns.min() ?? 0) >= 0.2)
    }

    @Test("backoff doubles per retry, with jitter between half and all of it, capped")
    func exponential() {
        let policy = RetryPolicy(maxRetries: 5, baseDelay: 0.5, maxDelay: 4)
        #expect(policy.delay(beforeRetry: 1, retryAfter: nil, jitter: 1 - 1e-9) <= 0.5)
        #expect(policy.delay(beforeRetry: 1, retryAfter: nil, jitter: 0) == 0.25)
        #expect(policy.delay(beforeRetry: 3, retryAfter: nil, jitter: 0) == 1.0)
        #expect(policy.delay(beforeRetry: 10, retryAfter: nil, jitter: 0) == 2.0)
    }
}

@Suite("Redactor")
struct RedactorTests {
    @Test("hides the key, showing at most its last four characters")
    func masks() {
        let key = "sk-proj-abcdefghijklmnop1234"
        let redactor = Redactor(secrets: [key])
        let text = redactor.redact("Incorrect API key provided: \(key). Also sk-otherkeyvalue0987654321.")
        #expect(!text.contains(key))
        #expect(!text.contains("otherkeyvalue"))
        #expect(text.contains("sk-…1234"))
    }
}

@Suite("LenientJSON")
struct LenientJSONTests {
    @Test("reads bare NaN and Infinity as the values they name")
    func nonFinite() throws {
        let json = try LenientJSON.parse(Array(#"{"a":[NaN, Infinity, -Infinity, 1.5e2, -0.25]}"#.utf8))
        let array = json["a"]?.array ?? []
        let values = array.compactMap { $0.number }
        #expect(values.count == 5)
        #expect(values[0].isNaN)
        #expect(values[1] == .infinity)
        #expect(values[2] == -.infinity)
        #expect(values[3] == 150)
        #expect(values[4] == -0.25)
    }

    @Test(
        "rejects a body cut mid-document", arguments: [#"{"data":[{"embedding":[0.1,0.2"#, #"{"a":"#, "", #"{"a":1}x"#])
    func cut(_ text: String) {
        #expect(throws: LenientJSON.ParseError.self) { try LenientJSON.parse(Array(text.utf8)) }
    }

    @Test("decodes escapes and surrogate pairs")
    func strings() throws {
        let json = try LenientJSON.parse(Array(#"{"s":"a\"b\\n\u00e9\ud83d\ude00"}"#.utf8))
        #expect(json["s"]?.string == "a\"b\\né😀")
    }
}

@Suite("Digests")
struct DigestsTests {
    @Test(
        "matches the FIPS 180 test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ])
    func vectors(_ input: String, _ digest: String) {
        #expect(Digests.sha256Hex(input.utf8) == digest)
        var hasher = ContentHasher()
        hasher.update(input)
        #expect(hasher.finalize() == digest)
    }
}

@Suite("VectorValidator")
struct VectorValidatorTests {
    @Test("rejects wrong dimensions, NaN, infinity and zero norm; accepts a normal vector")
    func validates() {
        #expect(VectorValidator.problem(with: [1, 0, 0], expectedDimensions: 3) == nil)
        #expect(VectorValidator.problem(with: [1, 0], expectedDimensions: 3) != nil)
        #expect(VectorValidator.problem(with: [.nan, 0, 1], expectedDimensions: 3) != nil)
        #expect(VectorValidator.problem(with: [.infinity, 0, 1], expectedDimensions: 3) != nil)
        #expect(VectorValidator.problem(with: [0, 0, 0], expectedDimensions: 3) != nil)
    }
}
