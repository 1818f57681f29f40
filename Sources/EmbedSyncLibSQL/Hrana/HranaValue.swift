import EmbedSyncCore
import Foundation

/// A SQLite value as Hrana carries it: integers as decimal strings, blobs as base64, floats as JSON numbers.
public enum HranaValue: Sendable, Equatable, Codable {
    case null
    case integer(Int64)
    case float(Double)
    case text(String)
    case blob(Data)

    private enum Keys: String, CodingKey {
        case type, value, base64
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "null":
            self = .null
        case "integer":
            let text = try container.decode(String.self, forKey: .value)
            guard let number = Int64(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .value, in: container, debugDescription: "an integer that is not an i64")
            }
            self = .integer(number)
        case "float":
            // sqld sends ±inf (and NaN) as null.
            self = .float(try container.decodeIfPresent(Double.self, forKey: .value) ?? .infinity)
        case "text":
            self = .text(try container.decode(String.self, forKey: .value))
        case "blob":
            let base64 = try container.decodeIfPresent(String.self, forKey: .base64) ?? ""
            guard let data = HranaValue.decodeBase64(base64) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .base64, in: container, debugDescription: "a blob that is not base64")
            }
            self = .blob(data)
        default:
            self = .null
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .null:
            try container.encode("null", forKey: .type)
        case .integer(let number):
            try container.encode("integer", forKey: .type)
            try container.encode(String(number), forKey: .value)
        case .float(let number):
            try container.encode("float", forKey: .type)
            try container.encode(number, forKey: .value)
        case .text(let text):
            try container.encode("text", forKey: .type)
            try container.encode(text, forKey: .value)
        case .blob(let data):
            try container.encode("blob", forKey: .type)
            try container.encode(data.base64EncodedString(), forKey: .base64)
        }
    }

    /// Standard base64, with or without `=` padding (sqld sends it unpadded; Foundation wants it padded).
    static func decodeBase64(_ text: String) -> Data? {
        let remainder = text.utf8.count % 4
        if remainder == 1 { return nil }
        let padded = remainder == 0 ? text : text + String(repeating: "=", count: 4 - remainder)
        return Data(base64Encoded: padded)
    }

    /// The value as an integer, when it is one (or a whole float).
    public var int: Int64? {
        switch self {
        case .integer(let number): return number
        case .float(let number) where number == number.rounded() && abs(number) < 9e18: return Int64(number)
        case .text(let text): return Int64(text)
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .integer(let number): return Double(number)
        case .float(let number): return number
        case .text(let text): return Double(text)
        default: return nil
        }
    }

    /// The value as text: strings as they are, numbers printed plainly, blobs as UTF-8, NULL as `nil`.
    public var string: String? {
        switch self {
        case .null: return nil
        case .integer(let number): return String(number)
        case .float(let number):
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        case .text(let text): return text
        case .blob(let data): return String(decoding: data, as: UTF8.self)
        }
    }

    public var data: Data? {
        switch self {
        case .blob(let data): return data
        case .text(let text): return Data(text.utf8)
        default: return nil
        }
    }

    public var isNull: Bool { self == .null }
}

extension HranaValue {
    /// A search filter's value as a statement argument (a boolean as 1 or 0, as SQLite stores them).
    init(_ value: SearchFilter.Value) {
        switch value {
        case .text(let text): self = .text(text)
        case .integer(let number): self = .integer(number)
        case .real(let number): self = .float(number)
        case .bool(let flag): self = .integer(flag ? 1 : 0)
        }
    }
}
