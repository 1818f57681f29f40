import EmbedSyncCore
import EmbedSyncTesting
import Testing

/// A keep-fresh run over an unchanged table reads it once: the planning pass finds nothing to embed, and the work
/// pass is skipped.
@Suite("Keep-fresh passes")
struct KeepFreshPassTests {
    @Test("a run with work reads the table twice (plan, work); a run with nothing to do reads it once, counts the same")
    func oneScanWhenNothingChanged() async throws {
        var rows: [RowID: [String: String?]] = [:]
        for id in 1...25 { rows[.int(Int64(id))] = ["title": id == 7 ? "" : "Title \(id)"] }
        let store = InMemoryStore(columns: ["title"], rows: rows)
        let configuration = RunConfiguration(template: try TextTemplate("{{title}}"), pageSize: 10)
        let first = try await Runner(
            store: store, embedder: ScriptedEmbedder(), configuration: configuration, clock: TestClock()
        ).run()
        #expect(first.embedded == 24)
        #expect(first.skipped == 1, "the empty row is skipped and counted")
        #expect(store.scannedPages == 2 * 3, "25 rows in pages of 10, read by the planning and the work pass")

        let again = try await Runner(
            store: store, embedder: ScriptedEmbedder(), configuration: configuration, clock: TestClock()
        ).run()
        #expect(again.selected == 0)
        #expect(again.embedded == 0)
        #expect(again.skipped == 1, "still counted when the work pass is skipped")
        #expect(again.outcome == .completed)
        #expect(store.scannedPages == 2 * 3 + 3, "one pass")

        store.setRow(.int(3), ["title": "Edited"])
        let edited = try await Runner(
            store: store, embedder: ScriptedEmbedder(), configuration: configuration, clock: TestClock()
        ).run()
        #expect(edited.embedded == 1)
    }
}
