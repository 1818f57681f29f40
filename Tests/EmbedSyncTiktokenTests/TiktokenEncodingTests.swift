import EmbedSyncTiktoken
import Foundation
import Testing

@Suite("TiktokenEncoding")
struct TiktokenEncodingTests {
    let encoding: TiktokenEncoding

    init() throws {
        encoding = try TestResources.encoding.get()
    }

    @Test("the fixture of Python tiktoken reference ids is present and large")
    func fixtureLoads() throws {
        let fixture = try TestResources.fixture.get()
        #expect(fixture.cases.count >= 300)
        #expect(encoding.vocabularySize == 100_256)
    }

    @Test("encodes exactly as tiktoken's cl100k_base encode_ordinary", arguments: TestResources.cases)
    func matchesTiktoken(_ testCase: TestResources.Case) {
        #expect(encoding.encode(testCase.text) == testCase.tokens)
    }

    @Test("counts the same number of tokens it encodes", arguments: TestResources.cases)
    func countMatchesEncode(_ testCase: TestResources.Case) {
        #expect(encoding.count(testCase.text) == testCase.tokens.count)
    }

    @Test("decodes reference ids back to the original text", arguments: TestResources.cases)
    func decodeRoundTrips(_ testCase: TestResources.Case) {
        #expect(encoding.decode(testCase.tokens) == testCase.text)
    }

    @Test(
        "encodes well-known strings to their published ids",
        arguments: [
            ("hello world", [15339, 1917]),
            ("<|endoftext|>", [27, 91, 8862, 728, 428, 91, 29]),
            ("", []),
        ] as [(String, [Int])])
    func knownIds(text: String, ids: [Int]) {
        #expect(encoding.encode(text) == ids)
    }

    @Test("fixture covers pieces long enough for the heap-based merger")
    func fixtureHasLongPieces() {
        // Pieces over 256 bytes take HeapBytePairMerger; the fixture's exact-id test covers them.
        #expect(TestResources.cases.contains { $0.text.hasPrefix(String(repeating: "x", count: 1000)) })
        let long = String(repeating: "ab", count: 2_000)
        #expect(encoding.decode(encoding.encode(long)) == long)
    }

    @Test("decode skips ids outside the vocabulary")
    func decodeSkipsUnknownIds() {
        #expect(encoding.decode([15339, -1, 999_999, 1917]) == "hello world")
    }

    @Test("is safe to share across concurrent tasks")
    func concurrentUse() async {
        let cases = TestResources.cases
        let encoding = self.encoding
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for chunk in 0..<4 {
                group.addTask {
                    cases.enumerated().filter { $0.offset % 4 == chunk }
                        .filter { encoding.encode($0.element.text) != $0.element.tokens }.count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
