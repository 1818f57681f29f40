import Foundation
import Testing

@_spi(Benchmark) @testable import EmbedSyncLocal

@Suite("Packed-weight cache", .enabled(if: MatrixKernel.avx512.isAvailable, "needs an AVX-512 CPU"))
struct PackedWeightCacheTests {
    private let texts = ["hello world", "a hellos, world world"]

    private func load(_ model: URL, cache: URL?) throws -> SentenceEmbeddingModel {
        try SentenceEmbeddingModel(directory: model, workers: 2, blasThreads: 1, kernel: .avx512, packedCache: cache)
    }

    private func cacheFile(in cache: URL) throws -> URL {
        let names = try FileManager.default.contentsOfDirectory(atPath: cache.path)
        #expect(names.count == 1, "one file per model file, and no temporary file left: \(names)")
        return cache.appendingPathComponent(try #require(names.first))
    }

    @Test("the first load saves the packed weights, later loads map them; vectors are bit-equal to packing")
    func savesThenMaps() throws {
        let model = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder())
        let cache = try Fixtures.temporaryFolder().appendingPathComponent("packed")
        let expected = try load(model, cache: nil).embed(texts)
        let first = try load(model, cache: cache)
        #expect(!first.weightsFromCache)
        #expect(try first.embed(texts) == expected)
        _ = try cacheFile(in: cache)
        let second = try load(model, cache: cache)
        #expect(second.weightsFromCache)
        #expect(try second.embed(texts) == expected)
    }

    @Test("a changed model file, or a cache file damaged anywhere, is packed again and saved again")
    func missesAreRewritten() throws {
        let model = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder())
        let cache = try Fixtures.temporaryFolder().appendingPathComponent("packed")
        let expected = try load(model, cache: nil).embed(texts)
        _ = try load(model, cache: cache)
        let file = try cacheFile(in: cache)
        let weights = model.appendingPathComponent("model.safetensors")
        let entries = try #require(PackedWeightCache(directory: cache, modelFile: weights)?.load()).entries
        let lastArray = try #require(entries.values.max { $0.offset < $1.offset })

        func damage(_ change: (inout Data) -> Void) throws {
            var bytes = try Data(contentsOf: file)
            change(&bytes)
            try bytes.write(to: file)
        }
        let damages: [(String, () throws -> Void)] = [
            (
                "model file modified",
                {
                    try FileManager.default.setAttributes(
                        [.modificationDate: Date(timeIntervalSinceNow: -60)], ofItemAtPath: weights.path)
                }
            ),
            ("not a cache file", { try damage { $0 = Data("hello".utf8) } }),
            ("cut short", { try damage { $0 = $0.prefix($0.count - 64) } }),
            ("a float changed", { try damage { $0[lastArray.offset] ^= 0x40 } }),
            (
                "a float overwritten",
                {
                    let bits = withUnsafeBytes(of: Float(1234.5).bitPattern.littleEndian) { Data($0) }
                    try damage { $0.replaceSubrange(lastArray.offset..<(lastArray.offset + 4), with: bits) }
                }
            ),
            ("another key", { try damage { $0[20] = UInt8(ascii: "#") } }),
        ]
        for (what, change) in damages {
            try change()
            let missed = try load(model, cache: cache)
            #expect(!missed.weightsFromCache, "\(what)")
            #expect(try missed.embed(texts) == expected, "\(what)")
            let again = try load(model, cache: cache)
            #expect(again.weightsFromCache, "\(what): saved again")
            #expect(try again.embed(texts) == expected, "\(what)")
        }
    }

    @Test("a cache folder that cannot be made leaves the model loading and embedding as without one")
    func unwritableFolder() throws {
        let model = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder())
        let blocker = try Fixtures.temporaryFolder().appendingPathComponent("a-file")
        try Data("x".utf8).write(to: blocker)
        let cache = blocker.appendingPathComponent("packed")
        let loaded = try load(model, cache: cache)
        #expect(!loaded.weightsFromCache)
        #expect(try loaded.embed(texts) == load(model, cache: nil).embed(texts))
        #expect(!(try load(model, cache: cache)).weightsFromCache)
    }

    @Test("the default folder: EMBEDSYNC_PACKED_CACHE, else under XDG_CACHE_HOME or HOME; 0 or off turns it off")
    func defaultFolder() {
        let folder = { SentenceEmbeddingModel.defaultPackedCache(environment: $0)?.path }
        #expect(folder(["HOME": "/h"]) == "/h/.cache/embedsync/packed")
        #expect(folder(["HOME": "/h", "XDG_CACHE_HOME": "/x"]) == "/x/embedsync/packed")
        #expect(folder(["HOME": "/h", "EMBEDSYNC_PACKED_CACHE": "/p/q"]) == "/p/q")
        #expect(folder(["HOME": "/h", "EMBEDSYNC_PACKED_CACHE": "0"]) == nil)
        #expect(folder(["HOME": "/h", "EMBEDSYNC_PACKED_CACHE": "OFF"]) == nil)
    }
}
