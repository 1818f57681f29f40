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
        var context: [String: Any] = [:]
        for (key, value) in values {
            if let value, !value.isEmpty { context[key] = value }
        }
        let rendered = compiled.render(context)
        var lines: [Substring] = []
        for line in rendered.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.unicodeScalars.allSatisfy(Self.isBlank) { lines.append(line) }
        }
        let text = lines.joined(separator: "\n").unicodeScalars
        guard let first = text.firstIndex(where: { !Self.isBlank($0) }),
            let last = text.lastIndex(where: { !Self.isBlank($0) })
        else { return "" }
        return String(text[first...last])
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
