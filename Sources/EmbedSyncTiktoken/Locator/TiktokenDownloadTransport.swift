import Foundation

/// Fetches a ranks file over the network for ``TiktokenLocator``.
///
/// EmbedSync's HTTP layer provides the real one; tests pass a fake. Implementations should apply
/// their own timeout and size cap (the `cl100k_base` file is about 1.7 MB).
public protocol TiktokenDownloadTransport: Sendable {
    /// Downloads the body at `url`.
    /// - Parameter url: The file to fetch.
    /// - Returns: The response body of a successful (2xx) response.
    /// - Throws: Any error when the host is unreachable or the response is not a success.
    func download(from url: URL) throws -> Data
}
