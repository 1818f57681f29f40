import Foundation

/// Removes secrets from text before it reaches a message, a log line or a stored row.
package struct Redactor: Sendable {
    private let secrets: [String]

    /// - Parameter secrets: exact strings to hide (API keys, passwords); empty ones are ignored.
    package init(secrets: [String]) {
        self.secrets = secrets.filter { $0.count >= 4 }
    }

    /// A key as it may be shown: `sk-…abcd` at most.
    package static func mask(_ secret: String) -> String {
        guard secret.count > 8 else { return "…" }
        let prefix = secret.hasPrefix("sk-") ? "sk-" : ""
        return "\(prefix)…\(secret.suffix(4))"
    }

    /// The text with every secret, and anything shaped like an OpenAI key, masked.
    package func redact(_ text: String) -> String {
        var result = text
        for secret in secrets {
            result = result.replacingOccurrences(of: secret, with: Redactor.mask(secret))
        }
        return Redactor.maskKeyShapes(result)
    }

    /// Masks `sk-…` tokens of 12 or more key characters, whoever's key they are.
    static func maskKeyShapes(_ text: String) -> String {
        var output = ""
        var rest = Substring(text)
        while let range = rest.range(of: "sk-") {
            output += rest[..<range.lowerBound]
            var end = range.upperBound
            while end < rest.endIndex, rest[end].isLetter || rest[end].isNumber || rest[end] == "-" || rest[end] == "_"
            {
                end = rest.index(after: end)
            }
            let token = rest[range.lowerBound..<end]
            output += token.count >= 15 ? Redactor.mask(String(token)) : String(token)
            rest = rest[end...]
        }
        return output + rest
    }
}
