/// An input of EmbedSync's API that an error message can point at.
///
/// The core and the stores never spell a command-line flag: they name the parameter, and whoever shows the message
/// names it the way its caller knows it. ``EmbedSyncError/message`` uses the configuration key (`target.table`);
/// the CLI shows the flag (`--target-table`); the server shows the request field.
public enum Parameter: String, Sendable, CaseIterable {
    case database = "database"
    case authTokenVariable = "auth_token_env"
    case table = "source.table"
    case query = "source.query"
    case idColumn = "source.id"
    case targetTable = "target.table"
    case targetColumn = "target.column"
    case targetDatabase = "target.database"
    case provider = "embedding.provider"
    case model = "embedding.model"
    case dimensions = "embedding.dimensions"
    case baseURL = "embedding.base_url"
    case apiKeyVariable = "embedding.api_key_env"
    case modelDirectory = "embedding.model_dir"
    case precision = "embedding.precision"
    case maxCost = "run.max_cost"
    case lockWait = "run.wait"
    case databaseTimeout = "database_timeout"
    case ids = "ids"
    case filter = "where"
    case exclusive = "exclusive"
    case searchMode = "search.mode"
    case chunkTokens = "run.chunk_tokens"
    case chunkOverlap = "run.chunk_overlap"

    /// The name a library caller sees: the configuration key.
    public var key: String { rawValue }
}

/// A message that may name ``Parameter``s, rendered once the reader is known.
///
/// Written as a string literal: `"No column '\(name)' for \(.idColumn)."`.
public struct ErrorMessage: Sendable, Hashable, ExpressibleByStringInterpolation, CustomStringConvertible {
    enum Piece: Sendable, Hashable {
        case text(String)
        case parameter(Parameter)
    }

    var pieces: [Piece]

    public init(stringLiteral value: String) {
        pieces = [.text(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        pieces = stringInterpolation.pieces
    }

    public init(_ text: String) {
        pieces = [.text(text)]
    }

    /// The message with each parameter spelled by `name`.
    public func rendered(naming name: (Parameter) -> String) -> String {
        pieces.map { piece in
            switch piece {
            case .text(let text): text
            case .parameter(let parameter): name(parameter)
            }
        }.joined()
    }

    /// The message with parameters named by their configuration keys.
    public var description: String { rendered(naming: \.key) }

    /// The parameters this message names, in order.
    public var parameters: [Parameter] {
        pieces.compactMap { if case .parameter(let parameter) = $0 { parameter } else { nil } }
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var pieces: [Piece] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            pieces.append(.text(literal))
        }

        public mutating func appendInterpolation(_ parameter: Parameter) {
            pieces.append(.parameter(parameter))
        }

        public mutating func appendInterpolation(_ message: ErrorMessage) {
            pieces.append(contentsOf: message.pieces)
        }

        public mutating func appendInterpolation<T>(_ value: T) {
            pieces.append(.text(String(describing: value)))
        }

        public mutating func appendInterpolation(_ value: String) {
            pieces.append(.text(value))
        }
    }
}
