/// A template of plain text, `{{name}}` variables and `{{#name}}…{{/name}}` / `{{^name}}…{{/name}}` sections,
/// rendered by direct concatenation instead of Mustache's dynamic lookups (about ten times faster, which a keep-fresh
/// run over a million rows needs: it renders and hashes every row).
///
/// It gives exactly what Mustache gives for the rows EmbedSync renders (string values; NULL and "" absent), or it
/// is not made: `init?` returns `nil` for anything outside that subset, and ``TextTemplate`` then uses Mustache.
/// Left out: dotted names and `{{.}}`, comments, partials, delimiter changes, names with characters other than
/// ASCII letters, digits and `_`, and any line holding only section tags and whitespace (Mustache's "standalone"
/// rule removes such a line, whitespace included, which can join text differently).
struct TemplatePlan: Sendable {
    indirect enum Piece: Sendable {
        case text(String)
        case value(String)
        case section(String, inverted: Bool, [Piece])
    }

    let pieces: [Piece]

    init?(_ source: String) {
        // TextTemplate puts a content-type tag before the source: it too is standalone when the first line is blank.
        guard !TemplatePlan.hasStandaloneSectionLine("{{% CONTENT_TYPE: TEXT}}" + source) else { return nil }
        var stack: [(name: String, inverted: Bool, pieces: [Piece])] = [("", false, [])]
        var rest = source[...]
        while !rest.isEmpty {
            guard let open = rest.range(of: "{{") else {
                stack[stack.count - 1].pieces.append(.text(String(rest)))
                break
            }
            if open.lowerBound > rest.startIndex {
                stack[stack.count - 1].pieces.append(.text(String(rest[..<open.lowerBound])))
            }
            rest = rest[open.upperBound...]
            let triple = rest.first == "{"
            if triple { rest = rest.dropFirst() }
            guard let close = rest.range(of: triple ? "}}}" : "}}") else { return nil }
            var tag = rest[..<close.lowerBound]
            rest = rest[close.upperBound...]
            let sigil = triple ? nil : tag.first.flatMap { "#^/&".contains($0) ? $0 : nil }
            if sigil != nil { tag = tag.dropFirst() }
            tag = tag.drop { $0 == " " || $0 == "\t" }
            while let last = tag.last, last == " " || last == "\t" { tag = tag.dropLast() }
            let name = String(tag)
            guard TemplatePlan.isPlainName(name) else { return nil }
            switch sigil {
            case "#", "^":
                stack.append((name, sigil == "^", []))
            case "/":
                guard stack.count > 1, let section = stack.popLast(), section.name == name else { return nil }
                stack[stack.count - 1].pieces.append(.section(name, inverted: section.inverted, section.pieces))
            default:
                stack[stack.count - 1].pieces.append(.value(name))
            }
        }
        guard stack.count == 1 else { return nil }
        pieces = stack[0].pieces
    }

    /// The rendered text, before ``TextTemplate``'s tidying (blank lines dropped, trimmed).
    func render(_ values: [String: String?]) -> String {
        var text = ""
        text.reserveCapacity(256)
        TemplatePlan.append(pieces, values: values, to: &text)
        return text
    }

    private static func append(_ pieces: [Piece], values: [String: String?], to text: inout String) {
        for piece in pieces {
            switch piece {
            case .text(let literal):
                text += literal
            case .value(let name):
                if case .some(.some(let value)) = values[name] { text += value }
            case .section(let name, let inverted, let inner):
                var present = false
                if case .some(.some(let value)) = values[name] { present = !value.isEmpty }
                if present != inverted { append(inner, values: values, to: &text) }
            }
        }
    }

    private static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F
            }
    }

    /// Whether some line holds section tags and nothing else but whitespace (conservatively: any `{{#`, `{{^`,
    /// `{{/`, `{{!`, `{{>`, `{{=` or `{{%` tag on a line whose other characters are all whitespace). Lines end at
    /// every character Swift calls a newline (Mustache's parser does so too: U+2028 and U+0085 included).
    private static func hasStandaloneSectionLine(_ source: String) -> Bool {
        let newlines: Set<Unicode.Scalar> = ["\n", "\r", "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}"]
        for scalars in source.unicodeScalars.split(omittingEmptySubsequences: false, whereSeparator: newlines.contains)
        {
            let line = String(scalars)
            var rest = line[...]
            var sawSection = false
            var sawOther = false
            while let open = rest.range(of: "{{") {
                if !rest[..<open.lowerBound].allSatisfy(\.isWhitespace) { sawOther = true }
                let after = rest[open.upperBound...]
                guard let close = after.range(of: "}}") else { return true }
                if let sigil = after.first, "#^/!>=%$<".contains(sigil) { sawSection = true } else { sawOther = true }
                rest = after[close.upperBound...]
                if rest.first == "}" { rest = rest.dropFirst() }
            }
            if !rest.allSatisfy(\.isWhitespace) { sawOther = true }
            if sawSection, !sawOther { return true }
        }
        return false
    }
}
