import Foundation

/// A value that holds a secret (an API key, a token, a password) and describes itself by the fields it chooses to
/// show, so the secret never reaches `print`, `dump`, `String(describing:)`, string interpolation or a debugger.
public protocol SecretHolding: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The fields to show, in order, with every secret already replaced (see ``Redacted``).
    var shownFields: KeyValuePairs<String, Any> { get }
}

extension SecretHolding {
    public var description: String {
        "\(Self.self)(" + shownFields.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: shownFields.map { (label: Optional($0.key), value: $0.value) }, displayStyle: .struct)
    }
}

/// How a secret is shown: never its value.
public enum Redacted {
    /// `<redacted>` for a secret that is set, `nil` for one that is not.
    public static func secret(_ value: String?) -> String {
        value == nil ? "nil" : "<redacted>"
    }

    /// A URL with its password (if any) replaced.
    public static func url(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "redacted"
        return components.string ?? "<redacted URL>"
    }

    /// An environment shown by its size only (it holds keys and passwords).
    public static func environment(_ environment: [String: String]) -> String {
        "\(environment.count) variables"
    }
}
