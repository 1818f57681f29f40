/// The error every EmbedSync layer throws: a code, a message a person can act on, and the cause.
///
/// Messages name the input and the fix; they never contain API keys, passwords or row text.
public struct EmbedSyncError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is; it decides the CLI's exit status.
    public enum Code: String, Sendable {
        /// Bad flags, configuration, template, table or column names. Nothing was written.
        case usage
        /// The provider refused the credentials, has no credits, or cannot be reached.
        case provider
        /// The database could not be opened, read or written.
        case database
        /// The local model files are missing or malformed.
        case model
        /// The run stopped early on purpose (`--max-cost`, a signal).
        case stopped
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying.map { SendableErrorBox(description: String(describing: $0)) }
    }

    public var description: String { message }
}

/// Keeps only the description of a wrapped error, so an error from any library stays Sendable.
public struct SendableErrorBox: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
