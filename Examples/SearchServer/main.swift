import EmbedSyncCore
import EmbedSyncLocal
import EmbedSyncSQLite
import Foundation
import Hummingbird

// A small Hummingbird app that searches a table EmbedSync has filled, through the library's `Searcher`.
//
//     embedsync run --database app.db --table articles --template 'Title: {{title}}\n{{body}}'
//     swift run embedsync-example-search app.db articles 'Title: {{title}}\n{{body}}'
//     curl 'http://127.0.0.1:8081/search?q=bread&k=3'

let environment = ProcessInfo.processInfo.environment
let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 3 else {
    print("usage: embedsync-example-search DATABASE TABLE TEMPLATE [PORT]")
    exit(2)
}
// The template must be the one the vectors were made with: search renders each hit's text with it.
let template = try TextTemplate(arguments[2].replacingOccurrences(of: "\\n", with: "\n"))
let store = try SQLiteStore(
    SQLiteStore.Configuration(path: arguments[0], source: .table(arguments[1]), readOnly: true))
let embedder = try LocalEmbedder.load(modelDirectory: environment["EMBEDSYNC_MODEL_DIR"], environment: environment)
let searcher = Searcher(store: store, embedder: embedder, template: template)
let port = arguments.count > 3 ? Int(arguments[3]) ?? 8081 : 8081

let app = buildApplication(searcher: searcher, port: port)
try await app.runService()
await store.close()
