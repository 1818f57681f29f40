/// A condition on the source rows' own columns that narrows a search: SQL text with values kept apart, so a store
/// binds them as parameters instead of splicing them into the statement.
///
/// The CLI's `--where` is the user's own SQL (`SearchFilter(sql: "lang = 'en'")`, no values); the server builds
/// filters from structured JSON, where every value a client sends is a ``Value``:
///
/// ```swift
/// let filter = SearchFilter(parts: [.sql("\"year\" >= "), .value(.integer(2020))])
/// filter.rendered()  // ("\"year\" >= ?", [.integer(2020)])
/// ```
public struct SearchFilter: Sendable, Hashable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// A value compared with a column, bound as a statement parameter.
    public enum Value: Sendable, Hashable {
        case text(String)
        case integer(Int64)
        case real(Double)
        case bool(Bool)
    }

    /// SQL text, or a value in its place.
    public enum Part: Sendable, Hashable {
        case sql(String)
        case value(Value)
    }

    public var parts: [Part]

    public init(parts: [Part]) {
        self.parts = parts
    }

    /// A condition written in SQL, with no separate values (`--where`).
    public init(sql: String) {
        self.parts = [.sql(sql)]
    }

    public init(stringLiteral sql: String) {
        self.init(sql: sql)
    }

    /// Several conditions that must all hold.
    public static func all(_ filters: [SearchFilter]) -> SearchFilter? {
        guard let first = filters.first else { return nil }
        var parts = [Part.sql("(")] + first.parts + [.sql(")")]
        for filter in filters.dropFirst() {
            parts += [.sql(" AND (")] + filter.parts + [.sql(")")]
        }
        return SearchFilter(parts: parts)
    }

    /// The SQL with each value replaced by what `bind` returns for it (a store's placeholder, after it has recorded
    /// the value as a parameter).
    public func sql(binding bind: (Value) throws -> String) rethrows -> String {
        var sql = ""
        for part in parts {
            switch part {
            case .sql(let text): sql += text
            case .value(let value): sql += try bind(value)
            }
        }
        return sql
    }

    /// The SQL with `?` for each value, and the values in the order of their placeholders.
    public func rendered() -> (sql: String, values: [Value]) {
        var values: [Value] = []
        let sql = sql { value in
            values.append(value)
            return "?"
        }
        return (sql, values)
    }

    /// The SQL with `?` for each value, for messages (values a client sent are not echoed).
    public var description: String { rendered().sql }
}
