// Benchmarks (release build): `swift run -c release embedsync-bench search|write [options]`.
//   search [--sizes 10000,100000,1000000] [--dims 384]   exact top-10 scan vs the machine's copy bandwidth
//   write  [--rows 20000] [--dims 384,1536] [--postgres URL] [--libsql URL]   vectors written per second, SQLite,
//          PostgreSQL and libSQL (with --postgres, tables bench_items_<dims>(id bigint primary key, body text) must
//          exist: Benchmarks/write.sh makes them; with --libsql the token is read from LIBSQL_AUTH_TOKEN and the
//          tables are made here)
//   rerun  --libsql URL [--rows 100000] [--dims 1536]   a full run into sqld through the Runner (an in-process
//          embedder of random vectors), then the no-op rerun over the same rows: its time and provider calls
// Each prints one JSON line per measurement.
import EmbedSyncCore
import EmbedSyncLibSQL
import EmbedSyncPostgres
@_spi(Benchmark) import EmbedSyncSQLite
import Foundation
import Logging
import Synchronization

/// Random unit vectors in process, counting its calls: the provider's cost left out of store benchmarks.
final class RandomEmbedder: Embedder, Sendable {
    let identity: ModelIdentity
    let limits = ProviderLimits.openAI
    let tokenCounter: any TokenCounter = ApproximateTokenCounter(reason: "benchmark")
    private let count = Mutex(0)

    init(dimensions: Int) {
        identity = ModelIdentity(provider: "bench", model: "random", dimensions: dimensions)
    }

    var calls: Int { count.withLock { $0 } }

    func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        let seed = count.withLock { calls -> Int in
            calls += 1
            return calls
        }
        let flat = randomUnitVectors(count: texts.count, dimensions: identity.dimensions, seed: UInt64(seed))
        let d = identity.dimensions
        return EmbeddingResponse(
            vectors: (0..<texts.count).map { Array(flat[$0 * d..<($0 + 1) * d]) }, billedTokens: texts.count)
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first ?? "search"
@MainActor func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
@MainActor func list(_ name: String, _ fallback: [Int]) -> [Int] {
    option(name).map { $0.split(separator: ",").compactMap { Int($0) } } ?? fallback
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func randomUnitVectors(count: Int, dimensions: Int, seed: UInt64) -> [Float] {
    var state = seed
    var values = [Float](repeating: 0, count: count * dimensions)
    for row in 0..<count {
        var norm: Float = 0
        for d in 0..<dimensions {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let value = Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 1000
            values[row * dimensions + d] = value
            norm += value * value
        }
        let scale = 1 / norm.squareRoot()
        for d in 0..<dimensions { values[row * dimensions + d] *= scale }
    }
    return values
}

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

switch mode {
case "search":
    let dimensions = list("--dims", [384]).first ?? 384
    for count in list("--sizes", [10_000, 100_000, 1_000_000]) {
        let matrix = randomUnitVectors(count: count, dimensions: dimensions, seed: UInt64(count))
        let query = Array(randomUnitVectors(count: 1, dimensions: dimensions, seed: 7))
        var copy = [Float](repeating: 0, count: matrix.count)
        var copyTimes: [Double] = []
        var scanTimes: [Double] = []
        var checksum: Float = 0
        for _ in 0..<7 {
            copyTimes.append(
                seconds {
                    matrix.withUnsafeBytes { source in
                        copy.withUnsafeMutableBytes { target in
                            if let to = target.baseAddress, let from = source.baseAddress {
                                memcpy(to, from, source.count)
                            }
                        }
                    }
                })
            scanTimes.append(
                seconds {
                    let top = matrix.withUnsafeBufferPointer {
                        VectorScan.topK(
                            query: query, matrix: $0, count: count, dimensions: dimensions, norms: nil, k: 10)
                    }
                    checksum += top.first?.score ?? 0
                })
        }
        let bytes = Double(matrix.count * 4)
        let copySeconds = median(copyTimes)
        let scanSeconds = median(scanTimes)
        print(
            "{\"bench\":\"search\",\"vectors\":\(count),\"dims\":\(dimensions),\"bytes\":\(Int(bytes)),"
                + "\"scan_ms\":\(String(format: "%.3f", scanSeconds * 1000)),"
                + "\"scan_gb_s\":\(String(format: "%.2f", bytes / scanSeconds / 1e9)),"
                + "\"memcpy_ms\":\(String(format: "%.3f", copySeconds * 1000)),"
                + "\"memcpy_gb_s\":\(String(format: "%.2f", bytes / copySeconds / 1e9)),"
                + "\"scan_vs_memcpy\":\(String(format: "%.2f", scanSeconds / copySeconds)),\"checksum\":\(checksum)}")
    }
case "write":
    let rows = Int(option("--rows") ?? "") ?? 20_000
    for dimensions in list("--dims", [384, 1536]) {
        let vectors = randomUnitVectors(count: rows, dimensions: dimensions, seed: 3)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "embedsync-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("bench.db").path
        FileManager.default.createFile(atPath: path, contents: nil)
        try SQLiteStore.createBenchSource(path: path, rows: rows)
        /// Commits every vector in batches of 256 and prints the rate.
        func measure(_ name: String, _ store: any EmbeddingStore) async throws {
            let model = ModelIdentity(provider: "bench", model: "random", dimensions: dimensions)
            let run = RunRecord(id: UUID().uuidString, startedAt: unixTime(), model: model)
            let start = DispatchTime.now().uptimeNanoseconds
            var offset = 0
            while offset < rows {
                let end = min(rows, offset + 256)
                let batch = (offset..<end).map { row in
                    EmbeddedRow(
                        id: .int(Int64(row + 1)), vector: Array(vectors[row * dimensions..<(row + 1) * dimensions]),
                        contentHash: "h\(row)", text: "row \(row)")
                }
                try await store.commit(
                    BatchCommit(run: run, model: model, embedded: batch, failed: [], tokens: 0, costUSD: 0, requests: 1)
                )
                offset = end
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(
                """
                {"bench":"write","store":"\(name)","dims":\(dimensions),"vectors":\(rows),\
                "seconds":\(String(format: "%.3f", elapsed)),"vectors_per_s":\(Int(Double(rows) / elapsed))}
                """
            )
        }
        let sqlite = try SQLiteStore(.init(path: path, source: .table("items")))
        try await measure("sqlite", sqlite)
        await sqlite.close()
        if let url = option("--postgres") {
            let configuration = PostgresStore.Configuration(
                url: url, source: .table("bench_items_\(dimensions)"), idColumn: nil, target: .table(nil),
                storeText: false, environment: [:])
            try await PostgresStore.withStore(configuration) { try await measure("postgres", $0) }
        }
        if let url = option("--libsql") {
            let libsql = try LibSQLURL(url)
            let token = ProcessInfo.processInfo.environment["LIBSQL_AUTH_TOKEN"]
            let table = "bench_items_\(dimensions)"
            let client = HranaClient(
                .init(url: libsql, authToken: token, tokenVariable: "LIBSQL_AUTH_TOKEN"),
                logger: Logger(label: "bench"))
            _ = try await client.batch([
                HranaStatement("DROP TABLE IF EXISTS \(table)_embeddings"),
                HranaStatement("DROP TABLE IF EXISTS \(table)"),
                HranaStatement("CREATE TABLE \(table) (id INTEGER PRIMARY KEY, body TEXT)"),
                HranaStatement(
                    "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?) "
                        + "INSERT INTO \(table) SELECT n, 'row ' || n FROM g", [.integer(Int64(rows))]),
            ])
            let store = try await LibSQLStore.open(
                .init(
                    url: libsql, authToken: token, tokenVariable: "LIBSQL_AUTH_TOKEN", source: .table(table),
                    idColumn: nil, target: .table(nil), storeText: false))
            try await measure("libsql", store)
        }
        try? FileManager.default.removeItem(at: folder)
    }
case "rerun":
    let rows = Int(option("--rows") ?? "") ?? 100_000
    let dimensions = list("--dims", [1536]).first ?? 1536
    guard let url = option("--libsql") else {
        FileHandle.standardError.write(Data("rerun needs --libsql URL\n".utf8))
        exit(2)
    }
    let libsql = try LibSQLURL(url)
    let token = ProcessInfo.processInfo.environment["LIBSQL_AUTH_TOKEN"]
    let table = "bench_rerun_\(rows)"
    _ = try await HranaClient(
        .init(url: libsql, authToken: token, tokenVariable: "LIBSQL_AUTH_TOKEN"), logger: Logger(label: "bench")
    ).batch([
        HranaStatement("DROP TABLE IF EXISTS \(table)_embeddings"), HranaStatement("DROP TABLE IF EXISTS \(table)"),
        HranaStatement("CREATE TABLE \(table) (id INTEGER PRIMARY KEY, body TEXT)"),
        HranaStatement(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ?) "
                + "INSERT INTO \(table) SELECT n, 'row number ' || n FROM g", [.integer(Int64(rows))]),
    ])
    let store = try await LibSQLStore.open(
        .init(
            url: libsql, authToken: token, tokenVariable: "LIBSQL_AUTH_TOKEN", source: .table(table), idColumn: nil,
            target: .table(nil), storeText: false))
    let embedder = RandomEmbedder(dimensions: dimensions)
    let configuration = RunConfiguration(template: try TextTemplate("{{body}}"))
    for name in ["run", "noop_rerun"] {
        let start = DispatchTime.now().uptimeNanoseconds
        let summary = try await Runner(store: store, embedder: embedder, configuration: configuration).run()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(
            """
            {"bench":"\(name)","store":"libsql","dims":\(dimensions),"rows":\(rows),"embedded":\(summary.embedded),\
            "provider_calls":\(embedder.calls),"seconds":\(String(format: "%.3f", elapsed)),\
            "rows_per_s":\(Int(Double(rows) / elapsed))}
            """
        )
    }
default:
    FileHandle.standardError.write(Data("usage: embedsync-bench search|write|rerun [options]\n".utf8))
    exit(2)
}
