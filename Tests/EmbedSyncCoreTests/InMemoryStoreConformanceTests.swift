import EmbedSyncCore
import EmbedSyncTesting
import Testing

/// The in-memory store on the same contract as the SQL stores.
struct InMemoryHarness: StoreConformanceHarness {
    let sharing: StoreSharing
    var name: String { "memory (\(sharing))" }
    var supportsSQLFilter: Bool { false }

    func withFixture(rows: [Int64: String], _ body: (any StoreConformanceFixture) async throws -> Void) async throws {
        let fixture = InMemoryFixture(sharing: sharing, rows: rows)
        do {
            try await body(fixture)
        } catch {
            await fixture.memory.close()
            throw error
        }
        await fixture.memory.close()
    }
}

struct InMemoryFixture: StoreConformanceFixture {
    let memory: InMemoryStore

    init(sharing: StoreSharing, rows: [Int64: String]) {
        memory = InMemoryStore(
            columns: ["title"],
            rows: Dictionary(uniqueKeysWithValues: rows.map { (RowID.int($0.key), ["title": $0.value]) }),
            sharing: sharing)
    }

    var store: any SearchableStore { memory }

    func openAnother() async throws -> any SearchableStore { memory.openAnother() }

    func setTitle(_ id: Int64, _ title: String) async throws { memory.setRow(.int(id), ["title": title]) }
    func deleteRow(_ id: Int64) async throws { memory.deleteRow(.int(id)) }
}

@Suite("InMemoryStore keeps the store contract")
struct InMemoryStoreConformanceTests {
    @Test("exclusive", arguments: StoreConformance.cases)
    func exclusive(_ check: StoreConformance.Case) async throws {
        try await check.run(InMemoryHarness(sharing: .exclusive))
    }

    @Test("shared", arguments: StoreConformance.cases)
    func shared(_ check: StoreConformance.Case) async throws {
        try await check.run(InMemoryHarness(sharing: .shared))
    }
}
