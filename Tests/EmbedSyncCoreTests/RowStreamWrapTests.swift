import EmbedSyncCore
import EmbedSyncTesting
import Testing

/// Workers sharing a table start their work pass at different pages and wrap around.
@Suite("RowStream wrapping around")
struct RowStreamWrapTests {
    let store = InMemoryStore(
        columns: ["title"],
        rows: Dictionary(uniqueKeysWithValues: (1...25).map { (RowID.int(Int64($0)), ["title": "t"]) }))

    func ids(from start: RowID?, stopAfter limit: Int = .max) async throws -> [Int64] {
        var seen: [Int64] = []
        try await RowStream(store: store, fields: ["title"], pageSize: 4).forEachPage(wrappingAfter: start) { page in
            for row in page { if case .int(let id) = row.id { seen.append(id) } }
            return seen.count < limit
        }
        return seen
    }

    @Test("every row once: the rows after the start, then the first rows up to it")
    func wraps() async throws {
        #expect(try await ids(from: .int(10)) == Array(11...25) + Array(1...10))
        #expect(try await ids(from: .int(25)) == Array(1...25))
        #expect(try await ids(from: nil) == Array(1...25))
        #expect(try await ids(from: .int(3)) == Array(4...25) + Array(1...3))
    }

    @Test("a body that says stop ends the whole walk, in either part")
    func stops() async throws {
        #expect(try await ids(from: .int(10), stopAfter: 4) == [11, 12, 13, 14])
        #expect(try await ids(from: .int(22), stopAfter: 5) == [23, 24, 25, 1, 2, 3, 4])
    }
}
