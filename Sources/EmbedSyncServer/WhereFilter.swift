import EmbedSyncCore
import Foundation

/// Any JSON value, for the structured `where` of `/v1/search`.
indirect enum AnyJSON: Decodable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([AnyJSON])
    case object([String: AnyJSON])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([AnyJSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: AnyJSON].self))
        }
    }
}

/// A structured filter, `{"col": value}` or `{"col": {"eq"|"ne"|"gt"|"gte"|"lt"|"lte"|"in": …}}`, turned into a
/// ``SearchFilter`` on the source's own columns. Column names are checked against the schema and quoted; every value
/// is kept apart from the SQL and bound by the store as a parameter, so nothing a client sends is read as SQL.
struct WhereFilter {
    static let operators: [String: String] = ["eq": "=", "ne": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="]

    /// The condition, or `nil` for an empty filter.
    /// - Throws: ``APIError`` (400, param `where`) naming the unknown column, operator or value.
    static func filter(_ filter: [String: AnyJSON], columns: [String]) throws -> SearchFilter? {
        var conditions: [SearchFilter] = []
        for name in filter.keys.sorted() {
            guard columns.contains(name) else {
                throw invalid(
                    "Unknown column '\(name)' in 'where'. The source's columns are: "
                        + "\(columns.joined(separator: ", ")).")
            }
            let column = quoteIdentifier(name)
            guard case .object(let spec) = filter[name] else {
                conditions.append(try comparison(column, "eq", filter[name] ?? .null))
                continue
            }
            guard !spec.isEmpty else { throw invalid("'where.\(name)' names no operator.") }
            for op in spec.keys.sorted() {
                conditions.append(try comparison(column, op, spec[op] ?? .null))
            }
        }
        return SearchFilter.all(conditions)
    }

    static func comparison(_ column: String, _ op: String, _ value: AnyJSON) throws -> SearchFilter {
        if op == "in" {
            guard case .array(let values) = value, !values.isEmpty, values.count <= 1000 else {
                throw invalid("'in' takes a non-empty array of at most 1000 values.")
            }
            var parts: [SearchFilter.Part] = [.sql("\(column) IN (")]
            for (index, item) in values.enumerated() {
                if index > 0 { parts.append(.sql(", ")) }
                parts.append(.value(try bound(item)))
            }
            return SearchFilter(parts: parts + [.sql(")")])
        }
        guard let sqlOperator = operators[op] else {
            throw invalid("Unknown operator '\(op)' in 'where'. Use eq, ne, gt, gte, lt, lte or in.")
        }
        if case .null = value {
            switch op {
            case "eq": return SearchFilter(sql: "\(column) IS NULL")
            case "ne": return SearchFilter(sql: "\(column) IS NOT NULL")
            default: throw invalid("'\(op)' cannot compare with null.")
            }
        }
        return SearchFilter(parts: [.sql("\(column) \(sqlOperator) "), .value(try bound(value))])
    }

    static func bound(_ value: AnyJSON) throws -> SearchFilter.Value {
        switch value {
        case .string(let text):
            guard !text.contains("\u{0}") else { throw invalid("Filter values cannot contain NUL characters.") }
            return .text(text)
        case .int(let number): return .integer(number)
        case .double(let number):
            guard number.isFinite else { throw invalid("Filter numbers must be finite.") }
            return .real(number)
        case .bool(let flag): return .bool(flag)
        case .null, .array, .object:
            throw invalid("Filter values must be strings, numbers or booleans (null only with eq or ne).")
        }
    }

    static func invalid(_ message: String) -> APIError {
        APIError.invalid(message, param: "where")
    }
}
