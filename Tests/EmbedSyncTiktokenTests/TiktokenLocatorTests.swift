import EmbedSyncTiktoken
import Foundation
import Testing

/// A transport that serves fixed bytes (or fails) and records what it was asked for.
final class FakeTransport: TiktokenDownloadTransport, @unchecked Sendable {
    // @unchecked: `requests` is only mutated under `lock`.
    private let lock = NSLock()
    private var requests: [URL] = []
    let body: Data?

    init(body: Data?) { self.body = body }

    struct Offline: Error {}

    func download(from url: URL) throws -> Data {
        lock.withLock { requests.append(url) }
        guard let body else { throw Offline() }
        return body
    }

    var requested: [URL] { lock.withLock { requests } }
}

@Suite("TiktokenLocator")
struct TiktokenLocatorTests {
    let root: URL
    let key = "9b5ad71b2ce5302211f9c61530b329a4922fc6a4"

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("tiktoken-locator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func folder(_ name: String, files: [String] = []) throws -> URL {
        let url = root.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        for file in files { try Data("x".utf8).write(to: url.appendingPathComponent(file)) }
        return url
    }

    @Test("with no cache variable set, finds the file in tiktoken's default cache under TMPDIR, checked by digest")
    func tiktokenDefaultCache() throws {
        let temporary = try folder("tmp")
        let gym = try folder("tmp/data-gym-cache")
        try FileManager.default.copyItem(at: try TestResources.ranksFile(), to: gym.appendingPathComponent(key))
        let locator = TiktokenLocator(environment: ["TMPDIR": temporary.path], cacheDirectory: try folder("cache"))
        #expect(try locator.locate().path == gym.appendingPathComponent(key).path)
        let withVariable = TiktokenLocator(
            environment: ["TMPDIR": temporary.path, "TIKTOKEN_CACHE_DIR": try folder("elsewhere").path],
            cacheDirectory: nil)
        #expect(throws: TiktokenError.self, "tiktoken reads its default only when no variable is set") {
            try withVariable.locate()
        }
    }

    @Test("a file in tiktoken's default cache that is not the published one is ignored")
    func tiktokenDefaultCacheChecked() throws {
        let temporary = try folder("tmp")
        _ = try folder("tmp/data-gym-cache", files: [key])
        let locator = TiktokenLocator(environment: ["TMPDIR": temporary.path], cacheDirectory: nil)
        let error = #expect(throws: TiktokenError.self) { try locator.locate() }
        #expect(error?.code == .notFound)
        #expect("\(error.map { String(describing: $0) } ?? "")".contains("tiktoken's default cache"))
    }

    @Test("finds the SHA-1-named file in TIKTOKEN_CACHE_DIR first")
    func tiktokenCacheDirFirst() throws {
        let tiktoken = try folder("tiktoken", files: [key])
        let gym = try folder("gym", files: [key])
        let cache = try folder("cache", files: ["cl100k_base.tiktoken"])
        let locator = TiktokenLocator(
            environment: ["TIKTOKEN_CACHE_DIR": tiktoken.path, "DATA_GYM_CACHE_DIR": gym.path],
            cacheDirectory: cache)
        #expect(try locator.locate().path == tiktoken.appendingPathComponent(key).path)
    }

    @Test("accepts a plain cl100k_base.tiktoken in TIKTOKEN_CACHE_DIR")
    func plainNameInTiktokenDir() throws {
        let tiktoken = try folder("tiktoken", files: ["cl100k_base.tiktoken"])
        let locator = TiktokenLocator(environment: ["TIKTOKEN_CACHE_DIR": tiktoken.path], cacheDirectory: nil)
        #expect(try locator.locate().lastPathComponent == "cl100k_base.tiktoken")
    }

    @Test("falls back to DATA_GYM_CACHE_DIR, then EmbedSync's cache")
    func fallbackOrder() throws {
        let empty = try folder("empty")
        let gym = try folder("gym", files: [key])
        let cache = try folder("cache", files: ["cl100k_base.tiktoken"])
        let withGym = TiktokenLocator(
            environment: ["TIKTOKEN_CACHE_DIR": empty.path, "DATA_GYM_CACHE_DIR": gym.path], cacheDirectory: cache)
        #expect(try withGym.locate().path == gym.appendingPathComponent(key).path)
        let withoutGym = TiktokenLocator(environment: ["TIKTOKEN_CACHE_DIR": empty.path], cacheDirectory: cache)
        #expect(try withoutGym.locate().path == cache.appendingPathComponent("cl100k_base.tiktoken").path)
    }

    @Test("offline and not found: says where it looked and that counts are approximate")
    func notFoundOffline() throws {
        let empty = try folder("empty")
        let cache = try folder("cache")
        let locator = TiktokenLocator(environment: ["TIKTOKEN_CACHE_DIR": empty.path], cacheDirectory: cache)
        #expect {
            _ = try locator.locate()
        } throws: { error in
            guard let error = error as? TiktokenError else { return false }
            return error.code == .notFound && error.message.contains(empty.path)
                && error.message.contains(cache.path) && error.message.contains("approximate")
        }
    }

    @Test("a failing transport reports the URL and that counts are approximate")
    func transportFails() throws {
        let transport = FakeTransport(body: nil)
        let locator = TiktokenLocator(
            environment: ["TMPDIR": root.path], cacheDirectory: try folder("cache"), transport: transport)
        #expect {
            _ = try locator.locate()
        } throws: { error in
            guard let error = error as? TiktokenError else { return false }
            return error.code == .downloadFailed && error.message.contains("approximate")
                && error.message.contains("openaipublic.blob.core.windows.net")
        }
        #expect(transport.requested.count == 1)
    }

    @Test("downloads into EmbedSync's cache when the digest matches, then reuses it")
    func downloadsVerified() throws {
        let body = try Data(contentsOf: try TestResources.ranksFile())
        let transport = FakeTransport(body: body)
        let cache = root.appendingPathComponent("new-cache")
        let locator = TiktokenLocator(environment: ["TMPDIR": root.path], cacheDirectory: cache, transport: transport)
        let url = try locator.locate()
        #expect(url.path == cache.appendingPathComponent("cl100k_base.tiktoken").path)
        #expect(try Data(contentsOf: url) == body)
        #expect(
            transport.requested.map(\.absoluteString)
                == ["https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"])
        _ = try locator.locate()
        #expect(transport.requested.count == 1)
    }

    @Test("rejects a download whose SHA-256 differs and saves nothing")
    func rejectsTamperedDownload() throws {
        let cache = root.appendingPathComponent("tampered-cache")
        let locator = TiktokenLocator(
            environment: ["TMPDIR": root.path], cacheDirectory: cache,
            transport: FakeTransport(body: Data("IQ== 0\n".utf8)))
        #expect {
            _ = try locator.locate()
        } throws: { error in
            (error as? TiktokenError)?.code == .hashMismatch
        }
        #expect(!FileManager.default.fileExists(atPath: cache.appendingPathComponent("cl100k_base.tiktoken").path))
    }
}
