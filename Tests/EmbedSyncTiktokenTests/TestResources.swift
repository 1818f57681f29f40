import EmbedSyncTiktoken
import Foundation
import Testing

/// The ranks file and reference fixture the tests use, loaded once.
enum TestResources {
    struct LookupFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// `$TIKTOKEN_RANKS`, else `shared/data/cl100k_base.tiktoken` in the nearest folder above this
    /// file that has one (the shared folder sits beside the repository).
    static func ranksFile() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["TIKTOKEN_RANKS"], !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else {
                throw LookupFailure(description: "TIKTOKEN_RANKS points at '\(path)', which does not exist.")
            }
            return URL(fileURLWithPath: path)
        }
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        var searched: [String] = []
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("shared/data/cl100k_base.tiktoken")
            searched.append(candidate.path)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        throw LookupFailure(
            description: "cl100k_base.tiktoken not found: set TIKTOKEN_RANKS to its path, or put it "
                + "at ../shared/data/cl100k_base.tiktoken beside the repository. Looked in: "
                + searched.joined(separator: ", "))
    }

    /// The shared encoding, or the error that prevented loading it.
    static let encoding: Result<TiktokenEncoding, any Error> = Result {
        try TiktokenEncoding.load(ranksFile: try ranksFile())
    }

    struct Case: Decodable, Sendable, CustomTestStringConvertible {
        var text: String
        var tokens: [Int]
        var testDescription: String {
            let escaped = text.unicodeScalars.prefix(40).map { $0.escaped(asASCII: false) }.joined()
            return "\"\(escaped)\(text.unicodeScalars.count > 40 ? "…" : "")\""
        }
    }

    struct Fixture: Decodable {
        var tiktoken: String
        var cases: [Case]
    }

    static let fixtureURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("cl100k_fixture.json")

    static let fixture: Result<Fixture, any Error> = Result {
        try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: fixtureURL))
    }

    /// The fixture's cases; empty when it cannot be read (a separate test then fails).
    static var cases: [Case] { (try? fixture.get().cases) ?? [] }
}
