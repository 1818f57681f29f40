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
            throw EmbedSyncError(.usage, "The template does not parse: \(error). Check its {{#section}}…{{/section}} pairs.", underlying: error)
        }
        fields = TextTemplate.fieldNames(in: source)
        if fields.isEmpty {
            throw EmbedSyncError(.usage, "The template '\(source)' names no field. Use {{column}} for each column to embed.")
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
            if line.contains(where: { !$0.isWhitespace }) { lines.append(line) }
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
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
            if let first = tag.first, "#^&".contains(first) { tag.removeFirst() }
            else if let first = tag.first, "/!%>=<$".contains(first) { continue }
            tag = tag.trimmingCharacters(in: .whitespaces)
            if !tag.isEmpty, tag != ".", !names.contains(tag) { names.append(tag) }
        }
        return names
    }
}
