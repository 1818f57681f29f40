import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncOpenAI
import EmbedSyncPostgres
import Foundation
import Testing

/// No configuration type reveals a key, token or password through reflection or printing.
@Suite("secrets never show through print, dump or interpolation")
struct SecretReflectionTests {
    static let canary = "sk-canary-0123456789abcdefWXYZ"

    /// Every way Swift renders a value: interpolation, `String(describing:)`, `String(reflecting:)`, `dump`, and the
    /// mirror's children.
    static func renderings(_ value: Any) -> [String] {
        var dumped = ""
        dump(value, to: &dumped)
        let children = Mirror(reflecting: value).children.map { "\($0.label ?? ""): \($0.value)" }.joined()
        return ["\(value)", String(describing: value), String(reflecting: value), dumped, children]
    }

    @Test("provider, libSQL and PostgreSQL configurations show what they are, never the secret")
    func configurations() throws {
        let openAI = OpenAIEmbedder.Configuration(
            provider: .openai, baseURL: "https://api.openai.com/v1", apiKey: Self.canary,
            apiKeyVariable: "OPENAI_API_KEY", model: "text-embedding-3-small", dimensions: 1536,
            sendDimensions: false)
        let url = try LibSQLURL("libsql://db.example.turso.io")
        let hrana = HranaClient.Configuration(url: url, authToken: Self.canary, tokenVariable: "TURSO_AUTH_TOKEN")
        let libSQL = LibSQLStore.Configuration(
            url: url, authToken: Self.canary, tokenVariable: "TURSO_AUTH_TOKEN", source: .table("pages"),
            idColumn: nil, target: .table(nil), storeText: true)
        let postgres = PostgresStore.Configuration(
            url: "postgres://app:\(Self.canary)@db.example.com:5432/app", source: .table("pages"), idColumn: nil,
            target: .table(nil), storeText: true, environment: ["PGPASSWORD": Self.canary])
        let cases: [(Any, String)] = [
            (openAI, "text-embedding-3-small"), (hrana, "TURSO_AUTH_TOKEN"), (libSQL, "TURSO_AUTH_TOKEN"),
            (postgres, "db.example.com"),
        ]
        for (value, shown) in cases {
            for text in Self.renderings(value) {
                #expect(!text.contains(Self.canary), "\(type(of: value)) revealed its secret: \(text)")
                #expect(!text.contains("0123456789abcdef"), "\(type(of: value)) revealed part of its secret")
                #expect(text.contains(shown), "\(type(of: value)) should still say what it is: \(text)")
            }
        }
    }
}
