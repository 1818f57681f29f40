import Foundation

/// Where the rows come from.
public enum SourceSpec: Sendable, Equatable {
    /// A table, by name.
    case table(String)
    /// A read-only SELECT (joins allowed) that returns the id column and the template's fields.
    case query(String)

    /// The name used to derive default target names: the table's name, or `query` for a query.
    public var baseName: String {
        switch self {
        case .table(let name): return name
        case .query: return "query"
        }
    }
}

/// Where the vectors go.
public enum TargetSpec: Sendable, Equatable {
    /// A separate table keyed by the source id (`<source>_embeddings` when `nil`).
    case table(String?)
    /// A column of the source table; hashes and model identity live in a side table.
    case column(String)
}

/// Identifier quoting shared by the SQL stores: double quotes, embedded quotes doubled.
package func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
