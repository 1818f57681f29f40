import Foundation
import Testing

@testable import EmbedSyncLocal

@Suite("WordPieceTokenizer")
struct TokenizerTests {
    static let vocabularyText =
        [
            "[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "##s", ",", "!", "cafe", "un", "##aff",
            "##able", "日", "本", "a", "\u{00F8}",
        ].joined(separator: "\n") + "\n"

    private func tokenizer(maxSequenceLength: Int = 16) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabulary: Vocabulary(text: Self.vocabularyText), maxSequenceLength: maxSequenceLength)
    }

    @Test(
        "wraps word pieces in [CLS] and [SEP] and splits punctuation",
        arguments: [
            ("Hello, world!", [2, 4, 7, 5, 8, 3]),
            ("unaffable", [2, 10, 11, 12, 3]),
            ("hellos", [2, 4, 6, 3]),
            ("", [2, 3]),
            (" \t\n ", [2, 3]),
        ] as [(String, [Int32])])
    func basicCases(text: String, ids: [Int32]) throws {
        #expect(try tokenizer().encode(text) == ids)
    }

    @Test("lower-cases, strips accents and removes control characters, NUL and U+FFFD")
    func normalises() throws {
        let t = try tokenizer()
        #expect(t.encode("CAFÉ") == [2, 9, 3])
        #expect(t.encode("ca\u{0000}f\u{FFFD}e\u{0007}") == [2, 9, 3])
        #expect(t.encode("Ca\u{0301}fe") == [2, 9, 3])
        #expect(t.encode("Ø") == [2, 16, 3], "ø has no decomposition and survives as itself")
    }

    @Test("splits CJK ideographs into single tokens even without spaces")
    func splitsCJK() throws {
        #expect(try tokenizer().encode("日本") == [2, 13, 14, 3])
    }

    @Test("turns unknown words and words over 100 characters into one [UNK]")
    func unknownWords() throws {
        let t = try tokenizer()
        #expect(t.encode("hellox") == [2, 1, 3])
        #expect(t.encode(String(repeating: "a", count: 101)) == [2, 1, 3])
        #expect(t.encode("hello " + String(repeating: "a", count: 100)) == [2, 4, 1, 3])
    }

    @Test("truncates to the maximum sequence length and counts the untruncated tokens")
    func truncates() throws {
        let t = try tokenizer(maxSequenceLength: 5)
        let text = "hello world hello world hello"
        #expect(t.encode(text) == [2, 4, 5, 4, 3])
        #expect(t.untruncatedCount(text) == 7)
    }

    @Test("a vocabulary without [UNK] is rejected with its name")
    func rejectsIncompleteVocabulary() {
        #expect(throws: LocalModelError.self) { try Vocabulary(text: "[CLS]\n[SEP]\nhello\n") }
    }

    @Test("vocabulary lines end at LF or CRLF; empty lines keep their ids; a later duplicate wins")
    func vocabularyLines() throws {
        let unix = try Vocabulary(text: "[PAD]\n[UNK]\n[CLS]\n[SEP]\n\nhello\nhéllo\nhello")
        let windows = try Vocabulary(text: "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n\r\nhello\r\nhéllo\r\nhello\r\n")
        for vocabulary in [unix, windows] {
            let tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "", "héllo", "hello", "##s", "hellos"]
            #expect(tokens.map { vocabulary.id(of: $0) } == [0, 1, 2, 3, 4, 6, 7, nil, nil])
            #expect(vocabulary.count == 7 && vocabulary.largestID == 7)
            #expect([vocabulary.unknownID, vocabulary.classifierID, vocabulary.separatorID] == [1, 2, 3])
        }
    }

    @Test("the piece table keeps initial pieces and continuations apart, replaces ids, and grows")
    func pieceTable() {
        var table = PieceTable(capacity: 2)
        func set(_ key: String, _ continuation: Bool, _ id: Int32) {
            var key = key
            key.withUTF8 { table.set($0, continuation: continuation, id: id) }
        }
        func id(_ key: String, _ continuation: Bool) -> Int32? {
            var key = key
            return key.withUTF8 { table.id($0, continuation: continuation) }
        }
        for index in 0..<1000 { set("piece\(index)", index % 3 == 0, Int32(index)) }
        set("s", true, 7)
        set("s", false, 8)
        set("s", true, 9)
        #expect(table.count == 1002 && table.longestKey == 8)
        #expect(id("s", true) == 9 && id("s", false) == 8 && id("", false) == nil)
        #expect((0..<1000).allSatisfy { id("piece\($0)", $0 % 3 == 0) == Int32($0) })
        #expect((0..<1000).allSatisfy { id("piece\($0)", $0 % 3 != 0) == nil })
        #expect(id("piece1000", false) == nil && id("piece", false) == nil)
    }

    @Test("a vocabulary that is not UTF-8 is rejected with the line")
    func rejectsNonUTF8Vocabulary() {
        let bytes = Array("[UNK]\n[CLS]\n[SEP]\nab".utf8) + [0xFF] + Array("\n".utf8)
        #expect {
            try Vocabulary(utf8: bytes, source: "v.txt")
        } throws: { error in
            "\(error)".contains("v.txt") && "\(error)".contains("line 4")
        }
    }
}
