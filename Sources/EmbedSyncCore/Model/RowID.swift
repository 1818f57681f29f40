/// The identifier of a source row: an integer or a text primary key.
public enum RowID: Hashable, Sendable, Comparable, CustomStringConvertible {
    case int(Int64)
    case text(String)

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .text(let value): return value
        }
    }

    /// Integers sort before texts, as SQLite and most users expect.
    public static func < (lhs: RowID, rhs: RowID) -> Bool {
        switch (lhs, rhs) {
        case (.int(let a), .int(let b)): return a < b
        case (.text(let a), .text(let b)): return a < b
        case (.int, .text): return true
        case (.text, .int): return false
        }
    }

    /// The value as JSON: a number for integer ids, a string otherwise.
    public var jsonValue: JSONValue {
        switch self {
        case .int(let value): return .int(value)
        case .text(let value): return .string(value)
        }
    }
}
