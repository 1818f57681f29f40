import Foundation

/// Downloads a sentence-transformers model's files from the Hugging Face hub into a folder.
struct ModelDownloader: Sendable {
    /// Files the model cannot load without.
    static let requiredFiles = ["config.json", "vocab.txt", "model.safetensors"]
    /// Files used when present (pooling mode, sequence length, casing).
    static let optionalFiles = [
        "1_Pooling/config.json", "sentence_bert_config.json", "tokenizer_config.json",
        "special_tokens_map.json", "modules.json",
    ]

    let transport: any ModelDownloadTransport
    var baseURL = "https://huggingface.co"

    /// The URL of one file of a model on the hub's `main` revision.
    func url(modelName: String, file: String) -> URL? {
        URL(string: "\(baseURL)/\(modelName)/resolve/main/\(file)")
    }

    /// Fetches every file into a temporary folder beside `destination`, then moves it into place,
    /// so a failed download never leaves a half-filled model folder.
    /// - Throws: `LocalModelError(.downloadFailed)` when a required file cannot be fetched or written.
    func download(modelName: String, into destination: URL) throws -> URL {
        let manager = FileManager.default
        let parent = destination.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(
            ".download-\(destination.lastPathComponent)-\(UUID().uuidString)", isDirectory: true)
        do {
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
        } catch {
            throw LocalModelError(
                .downloadFailed, "Cannot create the cache folder '\(parent.path)'.", underlying: error)
        }
        defer { try? manager.removeItem(at: staging) }
        for file in Self.requiredFiles + Self.optionalFiles {
            let required = Self.requiredFiles.contains(file)
            guard let url = url(modelName: modelName, file: file) else {
                throw LocalModelError(.downloadFailed, "'\(modelName)' does not form a valid download URL.")
            }
            let data: Data
            do {
                data = try transport.fetch(url)
            } catch {
                if required {
                    throw LocalModelError(
                        .downloadFailed, "Downloading \(url.absoluteString) failed.", underlying: error)
                }
                continue
            }
            let target = staging.appendingPathComponent(file)
            do {
                try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: target, options: .atomic)
            } catch {
                throw LocalModelError(.downloadFailed, "Cannot write '\(target.path)'.", underlying: error)
            }
        }
        do {
            if manager.fileExists(atPath: destination.path) {
                try manager.removeItem(at: destination)
            }
            try manager.moveItem(at: staging, to: destination)
        } catch {
            throw LocalModelError(
                .downloadFailed, "Cannot move the downloaded model into '\(destination.path)'.", underlying: error)
        }
        return destination
    }
}
