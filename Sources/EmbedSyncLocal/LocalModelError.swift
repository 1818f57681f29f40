import EmbedSyncCore
import Foundation

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// An error from the local embedding model: finding, loading or running it.
///
/// `message` names the input and the fix; `underlying` keeps the cause (an I/O error, a JSON error, …).
public struct LocalModelError: Error, CustomStringConvertible, Sendable {
    /// What kind of problem this is, for callers that branch on it.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let rawValue: String
        /// No model folder was found in any of the places looked at, and it could not be downloaded.
        public static let modelNotFound = Code(rawValue: "modelNotFound")
        /// A model file is missing from a folder that was otherwise chosen.
        public static let missingFile = Code(rawValue: "missingFile")
        /// A JSON configuration file could not be read or has wrong values.
        public static let invalidConfiguration = Code(rawValue: "invalidConfiguration")
        /// The safetensors file is malformed (header, bounds, dtype, shape, names).
        public static let invalidWeights = Code(rawValue: "invalidWeights")
        /// The vocabulary is missing a required token or is empty.
        public static let invalidVocabulary = Code(rawValue: "invalidVocabulary")
        /// Downloading the model from the Hugging Face hub failed.
        public static let downloadFailed = Code(rawValue: "downloadFailed")
        /// An input cannot be processed.
        public static let invalidInput = Code(rawValue: "invalidInput")
        /// The requested matrix kernel does not run on this CPU.
        public static let unsupportedKernel = Code(rawValue: "unsupportedKernel")
        public var description: String { rawValue }
    }

    /// The kind of problem.
    public let code: Code
    /// A sentence a person can act on, naming inputs as ``Parameter``s.
    public let text: ErrorMessage
    /// ``text`` with parameters named by their configuration keys.
    public var message: String { text.description }
    /// The error that caused this one, if any.
    public let underlying: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ text: ErrorMessage, underlying: (any Error)? = nil) {
        self.code = code
        self.text = text
        self.underlying = underlying
    }

    /// The message followed by its cause.
    public var detail: ErrorMessage {
        guard let underlying else { return text }
        let cause = Self.oneLine(underlying)
        // A message of several lines gets its cause on a line of its own; a one-line message in parentheses.
        return text.description.contains("\n") ? "\(text)\nCause: \(cause)" : "\(text) (\(cause))"
    }

    /// A cause on one line: a network error's own sentence, not a Foundation dump of its user info.
    static func oneLine(_ error: any Error) -> String {
        let text: String
        if let error = error as? LocalModelError {
            text = error.underlying.map { "\(error.message) \(oneLine($0))" } ?? error.message
        } else if let error = error as? URLError {
            text = "\(error.localizedDescription) (URLError \(error.code.rawValue))"
        } else {
            text = String(describing: error)
        }
        let words = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return words.count > 300 ? String(words.prefix(299)) + "…" : words
    }

    public var description: String { detail.description }
}
