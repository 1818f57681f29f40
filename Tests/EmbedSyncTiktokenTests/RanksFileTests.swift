import EmbedSyncTiktoken
import Foundation
import Testing

@Suite("Ranks file loading")
struct RanksFileTests {
    /// A tiny valid ranks file: all 256 bytes, then "ab" and "abc".
    static func tinyRanks(extra: String = "") -> String {
        var lines = (0..<256).map { "\(Data([UInt8($0)]).base64EncodedString()) \($0)" }
        lines.append("\(Data("ab".utf8).base64EncodedString()) 256")
        lines.append("\(Data("abc".utf8).base64EncodedString()) 257")
        return lines.joined(separator: "\n") + "\n" + extra
    }

    @Test("loads a small ranks file and merges by rank")
    func loadsTinyFile() throws {
        let encoding = try TiktokenEncoding.load(ranksData: Data(Self.tinyRanks().utf8))
        #expect(encoding.vocabularySize == 258)
        #expect(encoding.encode("abc") == [257])
        #expect(encoding.encode("abd") == [256, 100])
        #expect(encoding.decode([256, 100]) == "abd")
    }

    @Test("accepts CRLF line endings and a missing final newline")
    func acceptsCRLF() throws {
        let text = Self.tinyRanks().replacingOccurrences(of: "\n", with: "\r\n").dropLast()  // One Character: "\r\n".
        let encoding = try TiktokenEncoding.load(ranksData: Data(text.utf8))
        #expect(encoding.encode("abc") == [257])
    }

    @Test(
        "rejects malformed lines, naming the line",
        arguments: [
            ("YWI=\n", "rank"),
            ("YWI= x1\n", "rank"),
            ("!!! 300\n", "base64"),
            ("= 300\n", "empty"),
        ])
    func rejectsMalformed(extra: String, mentions: String) {
        #expect {
            _ = try TiktokenEncoding.load(ranksData: Data(Self.tinyRanks(extra: extra).utf8), source: "test")
        } throws: { error in
            guard let error = error as? TiktokenError else { return false }
            return error.code == .malformed && error.message.contains("Line 259")
                && error.message.contains(mentions)
        }
    }

    @Test("rejects a file that lacks a single-byte token")
    func rejectsMissingByte() {
        let text = Self.tinyRanks().split(separator: "\n").dropFirst().joined(separator: "\n")
        #expect(throws: TiktokenError.self) {
            _ = try TiktokenEncoding.load(ranksData: Data(text.utf8))
        }
    }

    @Test("reports an unreadable file by path")
    func reportsMissingFile() {
        #expect {
            _ = try TiktokenEncoding.load(ranksFile: URL(fileURLWithPath: "/nonexistent/x.tiktoken"))
        } throws: { error in
            (error as? TiktokenError)?.code == .unreadable
                && "\(error)".contains("/nonexistent/x.tiktoken")
        }
    }

    /// How fast it loads is measured by `Benchmarks/tiktoken`, not here: a timed unit test fails on a busy machine.
    @Test("loads the real cl100k_base file: every rank, and tokens tiktoken gives")
    func loadsRealFile() throws {
        let encoding = try TiktokenEncoding.load(ranksFile: try TestResources.ranksFile())
        #expect(encoding.vocabularySize == 100_256)
        #expect(encoding.encode("hello world") == [15339, 1917])
    }
}
