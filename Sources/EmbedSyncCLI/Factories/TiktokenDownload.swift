import EmbedSyncLocal
import EmbedSyncTiktoken
import Foundation

/// Fetches a `.tiktoken` ranks file over HTTPS when it is in no cache (the locator checks its SHA-256).
/// Offline, the request fails at once and the estimate says it is approximate.
struct TiktokenDownload: TiktokenDownloadTransport {
    func download(from url: URL) throws -> Data {
        try URLSessionModelDownloadTransport(timeout: 30).fetch(url)
    }
}
