/// An error from loading, locating or downloading a `.tiktoken` ranks file.
///
/// The ``message`` names the file or folder involved and what to do about it; ``code`` lets callers
/// branch without parsing text. Token counts fall back to an approximation when this is thrown.
public struct TiktokenError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in a form callers can switch over.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// No ranks file was found in any of the searched places and none could be downloaded.
        public static let notFound = Code(name: "notFound")
        /// The ranks file could not be read from disk.
        public static let unreadable = Code(name: "unreadable")
        /// The ranks file is not in the `base64-token rank` per line format.
        public static let malformed = Code(name: "malformed")
        /// A downloaded file did not have the expected SHA-256 digest.
        public static let hashMismatch = Code(name: "hashMismatch")
        /// The download failed, or the downloaded file could not be stored in the cache.
        public static let downloadFailed = Code(name: "downloadFailed")

        public var description: String { name }
    }

    /// What went wrong.
    public var code: Code
    /// A sentence or two naming the input and the fix.
    public var message: String
    /// The error that caused this one, if any.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    /// - Parameters:
    ///   - code: What went wrong.
    ///   - message: A message naming the input and the fix.
    ///   - underlying: The error that caused this one.
    public init(code: Code, message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        if let underlying {
            return "\(message) (\(underlying))"
        }
        return message
    }
}
