import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches one file over the network; the seam that lets tests download without a network.
public protocol ModelDownloadTransport: Sendable {
    /// Returns the body of `url`.
    /// - Throws: when the file cannot be fetched; an HTTP 404 must throw too.
    func fetch(_ url: URL) throws -> Data
}

/// Downloads with `URLSession`, waiting for each file.
public struct URLSessionModelDownloadTransport: ModelDownloadTransport {
    /// Seconds before one request gives up.
    public var timeout: TimeInterval

    /// Creates a transport with a request timeout.
    public init(timeout: TimeInterval = 60) {
        self.timeout = timeout
    }

    public func fetch(_ url: URL) throws -> Data {
        final class Box: @unchecked Sendable {  // written once by the completion handler, read after the semaphore
            var result: Result<Data, any Error> = .failure(LocalModelError(.downloadFailed, "No response."))
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(error)
            } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
                box.result = .failure(
                    LocalModelError(.downloadFailed, "HTTP \(http.statusCode) for \(url.absoluteString)."))
            } else {
                box.result = .success(data ?? Data())
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.result.get()
    }
}
