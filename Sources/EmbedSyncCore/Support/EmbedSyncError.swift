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
    /// What went wrong and the fix, with the inputs it names kept as ``Parameter``s.
    public var text: ErrorMessage
    /// The cause, kept typed: callers that must tell errors apart match it (a ``DatabaseFailure``'s SQLSTATE, a
    /// ``ProviderError``'s kind), never ``message``.
    public var underlying: (any Error)?

    public init(_ code: Code, _ text: ErrorMessage, underlying: (any Error)? = nil) {
        self.code = code
        self.text = text
        self.underlying = underlying
    }

    /// The message for a library or HTTP caller: parameters named by their configuration keys (`target.table`).
    public var message: String { text.description }

    /// The message with each parameter spelled as the reader knows it (the CLI passes its flags).
    public func message(naming name: (Parameter) -> String) -> String { text.rendered(naming: name) }

    public var description: String { message }

    /// The database's own error code behind this error, when a database caused it.
    public var sqlState: String? { (underlying as? DatabaseFailure)?.sqlState }
}

/// A database server's refusal, reduced to what is safe to keep: its code and a value-free message.
///
/// Stores put one in ``EmbedSyncError/underlying`` so that code deciding what to do next matches `sqlState`
/// (PostgreSQL's SQLSTATE, e.g. `42P01` for an undefined table), not message text. Never holds bound values.
public struct DatabaseFailure: Error, Sendable, CustomStringConvertible {
    /// The five-character SQLSTATE (PostgreSQL), or the store's own code for this failure.
    public var sqlState: String?
    /// The server's message, without bound values or row contents.
    public var message: String

    public init(sqlState: String?, message: String) {
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String { message }
}
