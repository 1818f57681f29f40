import EmbedSyncCore

extension StoreConformance {
    /// Change capture (stores that offer it): a run reads only the rows the triggers recorded, prunes the deleted ones,
    /// and reads every row again after a template change, a `reset`, or when full checks are due.
    @Sendable static func changeCapture(_ fixture: Fixture, _ harness: Harness) async throws {
        guard let store = fixture.store as? any ChangeCapturingStore else { return }
        let embedder = ScriptedEmbedder()
        func run(_ source: String = "{{title}}", fullCheckEvery: Double = 86_400) async throws -> RunSummary {
            var configuration = RunConfiguration(template: try TextTemplate(source))
            configuration.fullCheckEverySeconds = fullCheckEvery
            return try await Runner(store: store, embedder: embedder, configuration: configuration).run()
        }
        try expect(try await store.changeCapture() == nil, "capture is off until enabled")
        try await store.enableChangeCapture()
        try await store.enableChangeCapture()  // enabling twice is harmless
        let first = try await run()
        try expect(first.capture == .fullCheck && first.embedded == 3, "the first run reads every row: \(first)")

        try await fixture.setTitle(2, "beta edited")
        try await fixture.setTitle(4, "delta dates")
        try await fixture.deleteRow(3)
        let pending = try await store.changeCapture()?.pending ?? 0
        try expect(pending >= 3, "three changes recorded, \(pending) pending")
        let inputs = embedder.inputs
        let second = try await run()
        try expect(
            second.capture == .changes && second.selected == 2 && second.embedded == 2 && second.pruned == 1,
            "only the changed rows are read, the deleted one pruned: \(second)")
        try expect(embedder.inputs == inputs + 2, "two rows sent, not \(embedder.inputs - inputs)")
        try expect(try await store.changeCapture()?.pending == 0, "handled changes are consumed")
        try expect(
            try await states(store, model: embedder.identity) == [1: .upToDate, 2: .upToDate, 4: .upToDate],
            "every row fresh after the changes run")

        let idle = try await run()
        try expect(idle.capture == .changes && idle.selected == 0, "nothing changed, nothing read: \(idle)")
        let edited = try await run("{{title}}!")
        try expect(
            edited.capture == .fullCheck && edited.embedded == 3, "a template change makes a full check: \(edited)")
        let due = try await run("{{title}}!", fullCheckEvery: 0)
        try expect(due.capture == .fullCheck && due.selected == 0, "a due full check reads every row: \(due)")

        try await store.reset()
        let afterReset = try await run("{{title}}!")
        try expect(
            afterReset.capture == .fullCheck && afterReset.embedded == 3,
            "after reset the next run reads every row: \(afterReset)")

        try expect(try await store.disableChangeCapture(), "disable reports that capture was on")
        try expect(try await store.changeCapture() == nil, "capture is off after disable")
        try await fixture.setTitle(1, "alpha again")
        let off = try await run("{{title}}!")
        try expect(off.capture == nil && off.embedded == 1, "without capture a run scans as before: \(off)")
        try expect(try await !store.disableChangeCapture(), "disabling twice says it was off")
    }
}
