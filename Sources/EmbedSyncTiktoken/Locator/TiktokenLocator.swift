import EmbedSyncCore
import Foundation

/// Finds a `.tiktoken` ranks file the way tiktoken does, then in EmbedSync's cache, then downloads it.
///
/// The search order for an encoding such as `cl100k_base`:
/// 1. `TIKTOKEN_CACHE_DIR`: the file named by the SHA-1 hex of the download URL (tiktoken's own cache
///    naming), or `cl100k_base.tiktoken`.
/// 2. `DATA_GYM_CACHE_DIR`, the same way.
/// 3. `<cacheDirectory>/cl100k_base.tiktoken`.
/// 4. When neither variable is set, tiktoken's own default cache, `$TMPDIR/data-gym-cache` (Python's
///    `tempfile.gettempdir()`: `TMPDIR`, `TEMP`, `TMP`, else `/tmp`), so anyone who ever ran tiktoken counts exactly
///    offline. A shared temporary folder is not trusted: the file must have the published SHA-256.
/// 5. A download through `transport` into `cacheDirectory`, accepted only when its SHA-256 matches
///    the digest tiktoken publishes.
///
/// The locator never reads the process environment itself; pass it in.
public struct TiktokenLocator: Sendable {
    /// SHA-256 digests of the published ranks files, as listed in tiktoken's `openai_public.py`.
    public static let knownDigests: [String: String] = [
        "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        "p50k_base": "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
        "r50k_base": "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
    ]

    private let environment: [String: String]
    private let cacheDirectory: URL?
    private let transport: (any TiktokenDownloadTransport)?

    /// Creates a locator.
    /// - Parameters:
    ///   - environment: Environment variables; only `TIKTOKEN_CACHE_DIR`, `DATA_GYM_CACHE_DIR` and the temporary
    ///     folder's `TMPDIR`, `TEMP`, `TMP` are read.
    ///   - cacheDirectory: EmbedSync's cache folder, searched and used for downloads; nil to skip both.
    ///   - transport: How to download a missing file; nil when offline.
    public init(
        environment: [String: String], cacheDirectory: URL?,
        transport: (any TiktokenDownloadTransport)? = nil
    ) {
        self.environment = environment
        self.cacheDirectory = cacheDirectory
        self.transport = transport
    }

    /// The URL tiktoken downloads an encoding's ranks file from.
    public static func downloadURL(encoding: String) -> URL? {
        URL(string: "https://openaipublic.blob.core.windows.net/encodings/\(encoding).tiktoken")
    }

    /// The file name tiktoken's cache uses for an encoding: the SHA-1 hex of its download URL.
    public static func cacheKey(encoding: String) -> String {
        let url = "https://openaipublic.blob.core.windows.net/encodings/\(encoding).tiktoken"
        return Digests.sha1Hex(url.utf8)
    }

    /// Finds or downloads the ranks file for `encoding`.
    /// - Parameter encoding: The encoding's name, `cl100k_base` by default.
    /// - Returns: The URL of an existing ranks file.
    /// - Throws: ``TiktokenError`` with code `notFound` (listing every place searched) when there is
    ///   no file and no transport, `downloadFailed` when the download or the cache write fails, or
    ///   `hashMismatch` when the downloaded bytes are not the published file.
    public func locate(encoding: String = "cl100k_base") throws -> URL {
        let fileName = "\(encoding).tiktoken"
        var searched: [String] = []
        for variable in ["TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"] {
            guard let path = environment[variable], !path.isEmpty else { continue }
            let folder = URL(fileURLWithPath: path, isDirectory: true)
            for name in [Self.cacheKey(encoding: encoding), fileName] {
                let candidate = folder.appendingPathComponent(name)
                searched.append("\(candidate.path) ($\(variable))")
                if Self.isFile(candidate) { return candidate }
            }
        }
        if let cacheDirectory {
            let candidate = cacheDirectory.appendingPathComponent(fileName)
            searched.append("\(candidate.path) (EmbedSync cache)")
            if Self.isFile(candidate) { return candidate }
        }
        if let candidate = tiktokenDefaultCache(encoding: encoding) {
            searched.append("\(candidate.path) (tiktoken's default cache)")
            if Self.isFile(candidate), Self.hasPublishedDigest(candidate, encoding: encoding) { return candidate }
        }
        let hint =
            "Token counts for OpenAI models will be approximate. To count exactly, copy "
            + "\(fileName) into one of those places or set TIKTOKEN_CACHE_DIR to a folder holding it."
        guard let transport, let cacheDirectory, let url = Self.downloadURL(encoding: encoding) else {
            throw TiktokenError(
                code: .notFound,
                message: "No \(fileName) ranks file found (looked in "
                    + (searched.isEmpty ? "no folders" : searched.joined(separator: ", "))
                    + ") and downloading is off. " + hint)
        }
        return try download(
            url, to: cacheDirectory.appendingPathComponent(fileName), encoding: encoding,
            transport: transport, searched: searched, hint: hint)
    }

    private func download(
        _ url: URL, to destination: URL, encoding: String, transport: any TiktokenDownloadTransport,
        searched: [String], hint: String
    ) throws -> URL {
        let data: Data
        do {
            data = try transport.download(from: url)
        } catch {
            throw TiktokenError(
                code: .downloadFailed,
                message: "No \(encoding).tiktoken ranks file found (looked in "
                    + searched.joined(separator: ", ") + ") and downloading \(url.absoluteString) "
                    + "failed. " + hint,
                underlying: error as NSError)
        }
        if let expected = Self.knownDigests[encoding] {
            let actual = Digests.sha256Hex(data)
            guard actual == expected else {
                throw TiktokenError(
                    code: .hashMismatch,
                    message: "The file downloaded from \(url.absoluteString) has SHA-256 \(actual), "
                        + "not the published \(expected); it was not saved. Retry, or check for a "
                        + "proxy rewriting downloads. " + hint)
            }
        }
        do {
            try FileManager.default.createDirectory(
                at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: destination, options: .atomic)
        } catch {
            throw TiktokenError(
                code: .downloadFailed,
                message: "Downloaded \(encoding).tiktoken but could not save it to "
                    + "'\(destination.path)'. Check that the cache folder is writable. " + hint,
                underlying: error as NSError)
        }
        return destination
    }

    /// Where Python's tiktoken caches the file when neither cache variable is set.
    private func tiktokenDefaultCache(encoding: String) -> URL? {
        let variables = ["TIKTOKEN_CACHE_DIR", "DATA_GYM_CACHE_DIR"]
        guard variables.allSatisfy({ environment[$0]?.isEmpty ?? true }) else { return nil }
        let temporary = ["TMPDIR", "TEMP", "TMP"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? "/tmp"
        return URL(fileURLWithPath: temporary, isDirectory: true)
            .appendingPathComponent("data-gym-cache").appendingPathComponent(Self.cacheKey(encoding: encoding))
    }

    /// Whether `url` holds the published ranks file of `encoding` (any file when no digest is published).
    private static func hasPublishedDigest(_ url: URL, encoding: String) -> Bool {
        guard let expected = knownDigests[encoding] else { return true }
        guard let data = try? Data(contentsOf: url) else { return false }
        return Digests.sha256Hex(data) == expected
    }

    private static func isFile(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            && !isDirectory.boolValue
    }
}
