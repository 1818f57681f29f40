import Foundation
import Mustache

/// A Mustache template that turns a row into the text sent to the embedder.
///
/// Values are inserted as they are (no HTML escaping); a section such as `{{#genre}}Genre: {{genre}}{{/genre}}`
/// vanishes when the field is NULL or empty; lines left empty are dropped and the text is trimmed.
///
/// ```swift
/// let template = try TextTemplate("Title: {{title}}\n{{#genre}}Genre: {{genre}}{{/genre}}")
/// template.render(["title": "Alien", "genre": nil]) // "Title: Alien"
/// ```
public struct TextTemplate: Sendable {
    /// The template as the user wrote it; part of every content hash.
    public let source: String
    /// The field names the template refers to, in first-use order.
    public let fields: [String]
    private let compiled: MustacheTemplate
    /// The same template as plain concatenation, when it is simple enough (most are); `nil`: Mustache renders it.
    private let plan: TemplatePlan?

    /// Compiles a template.
    /// - Throws: ``EmbedSyncError`` with code `.usage` when the template does not parse.
    public init(_ source: String) throws {
        self.source = source
        do {
            compiled = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + source)
        } catch {
            throw EmbedSyncError(
                .usage, "The template does not parse: \(error). Check its {{#section}}…{{/section}} pairs.",
                underlying: error)
        }
        plan = TemplatePlan(source)
        fields = TextTemplate.fieldNames(in: source)
        if fields.isEmpty {
            throw EmbedSyncError(
                .usage, "The template '\(source)' names no field. Use {{column}} for each column to embed.")
        }
    }

    /// The default template: every text-like column as `column: value`, one per line.
    public static func defaultTemplate(for schema: SourceSchema) -> String {
        schema.columns
            .filter { $0.isTextLike && $0.name != schema.idColumn }
            .map { "{{#\($0.name)}}\($0.name): {{\($0.name)}}{{/\($0.name)}}" }
            .joined(separator: "\n")
    }

    /// Renders a row: NULL and empty values make their sections vanish, empty lines are dropped, the result is trimmed.
    public func render(_ values: [String: String?]) -> String {
        if let plan { return TextTemplate.tidy(plan.render(values)) }
        return renderWithMustache(values)
    }

    /// ``render(_:)`` through Mustache alone (what ``TemplatePlan`` must equal; tests compare the two).
    func renderWithMustache(_ values: [String: String?]) -> String {
        var context: [String: Any] = [:]
        for (key, value) in values {
            if let value, !value.isEmpty { context[key] = value }
        }
        return TextTemplate.tidy(compiled.render(context))
    }

    /// Drops whitespace-only lines and trims the text. Lines end at each LF that does not follow a CR (a CRLF is one
    /// `Character`, and lines were once split by `Character`: content hashes depend on this staying the same).
    static func tidy(_ rendered: String) -> String {
        var rendered = rendered
        let kept: [UInt8]? = rendered.withUTF8 { bytes in
            guard !forEachLine(of: bytes, { !isBlank($0) }) else { return nil }  // nothing to drop: no copy
            var kept: [UInt8] = []
            kept.reserveCapacity(bytes.count)
            forEachLine(of: bytes) { line in
                if !isBlank(line) {
                    if !kept.isEmpty { kept.append(0x0A) }
                    kept.append(contentsOf: line)
                }
                return true
            }
            return kept
        }
        let text = kept.map { String(decoding: $0, as: UTF8.self) } ?? rendered
        let scalars = text.unicodeScalars
        guard let first = scalars.first, let last = scalars.last, isBlank(first) || isBlank(last) else { return text }
        guard let from = scalars.firstIndex(where: { !isBlank($0) }),
            let to = scalars.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(scalars[from...to])
    }

    /// Calls `body` with each line until it returns `false`; returns whether every call returned `true`.
    @discardableResult
    private static func forEachLine(
        of bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<UInt8>) -> Bool
    ) -> Bool {
        var start = 0
        for index in 0...bytes.count
        where index == bytes.count || (bytes[index] == 0x0A && (index == 0 || bytes[index - 1] != 0x0D)) {
            guard body(UnsafeBufferPointer(rebasing: bytes[start..<index])) else { return false }
            start = index + 1
        }
        return true
    }

    /// Whether a line of UTF-8 holds only whitespace (ASCII bytes checked directly, anything else by its scalars).
    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        var ascii = true
        for byte in line {
            if byte >= 0x80 {
                ascii = false
            } else if byte != 0x20 && !(byte >= 0x09 && byte <= 0x0D) {
                return false
            }
        }
        return ascii || String(decoding: line, as: UTF8.self).unicodeScalars.allSatisfy(isBlank)
    }

    /// Whitespace as embedding tokenizers see it: Unicode's White_Space property (Python's `str.strip` and BERT
    /// agree), except U+2028 and U+2029, which BERT keeps as characters. Zero-width characters (U+200B, U+200D,
    /// U+FEFF) are not whitespace, so a text of them alone is embedded, as sentence-transformers would.
    private static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace && scalar != "\u{2028}" && scalar != "\u{2029}"
    }

    /// The names inside `{{name}}`, `{{{name}}}`, `{{#name}}`, `{{^name}}` and `{{&name}}` tags.
    static func fieldNames(in source: String) -> [String] {
        var names: [String] = []
        var rest = source[...]
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "}}") else { break }
            var tag = rest[..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            rest = rest[close.upperBound...]
            if tag.hasPrefix("{") { tag.removeFirst() }
            if let first = tag.first, "#^&".contains(first) {
                tag.removeFirst()
            } else if let first = tag.first, "/!%>=<$".contains(first) {
                continue
            }
            tag = tag.trimmingCharacters(in: .whitespaces)
            if !tag.isEmpty, tag != ".", !names.contains(tag) { names.append(tag) }
        }
        return names
    }
}
