import EmbedSyncCore
import Foundation

/// What the conformance suite needs from one kind of store: a fresh source table and a way to edit it.
///
/// The source is `docs(id INTEGER PRIMARY KEY, title TEXT)`; the target is table mode with default names.
public protocol StoreConformanceHarness: Sendable {
    /// A short name for test output ("SQLite", "PostgreSQL", …).
    var name: String { get }
    /// Whether the store runs SQL `--where` filters (the in-memory store does not).
    var supportsSQLFilter: Bool { get }
    /// Creates a fresh source holding `rows` (id → title), opens a store on it, runs `body` with them, and closes
    /// every store and removes the source however `body` ends (a store's clients run only inside this scope).
    func withFixture(rows: [Int64: String], _ body: (any StoreConformanceFixture) async throws -> Void) async throws
}

/// One fresh source table and the stores opened on it.
public protocol StoreConformanceFixture: Sendable {
    /// The store under test.
    var store: any SearchableStore { get }
    /// Another store on the same source and target, as a second worker would open it.
    func openAnother() async throws -> any SearchableStore
    /// Sets a source row's title (inserting the row when it does not exist).
    func setTitle(_ id: Int64, _ title: String) async throws
    /// Deletes a source row.
    func deleteRow(_ id: Int64) async throws
}

/// A rule a store broke, with what was expected and what it did.
public struct ConformanceFailure: Error, CustomStringConvertible {
    public var description: String
}

/// The store contract, written once: every store runs these cases (see the store test targets).
///
/// ```swift
/// @Test("SQLiteStore keeps the store contract", arguments: StoreConformance.cases)
/// func conformance(_ check: StoreConformance.Case) async throws { try await check.run(SQLiteHarness()) }
/// ```
public enum StoreConformance {
    /// One rule of the contract.
    public struct Case: Sendable, CustomStringConvertible {
        public let description: String
        let body: @Sendable (any StoreConformanceFixture, any StoreConformanceHarness) async throws -> Void

        /// Runs the case on a fresh fixture of `harness`, tearing it down afterwards.
        public func run(_ harness: any StoreConformanceHarness) async throws {
            try await harness.withFixture(rows: StoreConformance.rows) { fixture in
                try await body(fixture, harness)
            }
        }
    }

    /// The source every case starts from.
    public static let rows: [Int64: String] = [1: "alpha apples", 2: "beta bananas", 3: "gamma grapes"]
    /// The model the cases store vectors for.
    public static let model = ModelIdentity(provider: "test", model: "conformance", dimensions: 4)
    static let template: TextTemplate = {
        do { return try TextTemplate("{{title}}") } catch { preconditionFailure("a literal template parses") }
    }()

    public static let cases: [Case] =
        [
            Case(description: "missing, up to date, stale by text and by model", body: staleness),
            Case(description: "scans in id order, in pages, and reads rows by id", body: scanning),
            Case(description: "prunes vectors whose source row is gone", body: pruning),
            Case(description: "a commit with a bad vector writes nothing", body: atomicity),
            Case(description: "a row edited or deleted while in flight is not stored", body: hashRecheck),
            Case(description: "failed runs are counted by one rule and cleared by success", body: failureCounting),
            Case(description: "claims hand a row to one worker, or the run guard serializes runs", body: claims),
            Case(description: "search orders by cosine, honours k, min score and model", body: searching),
            Case(description: "search applies the SQL filter on the source's columns", body: filtering),
            Case(description: "runs are recorded and reset removes everything stored", body: runsAndReset),
            Case(
                description: "change capture reads only changed rows, and every row when a full check is due",
                body: changeCapture),
            Case(
                description: "Batch API bookkeeping: one pending batch per row, applied once", body: batchBookkeeping),
        ] + chunkCases
}
