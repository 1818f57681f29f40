import EmbedSyncCore
import Testing

@Suite("TextTemplate")
struct TextTemplateTests {
    @Test("a section vanishes when its field is NULL or empty, leaving no blank line")
    func sectionsVanish() throws {
        let template = try TextTemplate("Title: {{title}}\n{{#genre}}Genre: {{genre}}{{/genre}}\nYear: {{year}}")
        #expect(template.render(["title": "Alien", "genre": nil, "year": "1979"]) == "Title: Alien\nYear: 1979")
        #expect(template.render(["title": "Alien", "genre": "", "year": "1979"]) == "Title: Alien\nYear: 1979")
        #expect(
            template.render(["title": "Alien", "genre": "Horror", "year": "1979"])
                == "Title: Alien\nGenre: Horror\nYear: 1979")
    }

    @Test("values are inserted without HTML escaping, with {{ }} and {{{ }}} alike")
    func noEscaping() throws {
        let template = try TextTemplate("{{a}} | {{{b}}}")
        #expect(
            template.render(["a": "<b>Tom & Jerry's \"show\"</b>", "b": "x < y"])
                == "<b>Tom & Jerry's \"show\"</b> | x < y")
    }

    @Test("the rendered text is trimmed and whitespace-only lines are dropped")
    func trims() throws {
        let template = try TextTemplate("  {{a}}  \n   \n{{b}}\n")
        #expect(template.render(["a": "x", "b": "  "]) == "x")
        #expect(template.render(["a": nil, "b": nil]) == "")
    }

    @Test(
        "whitespace is Unicode's White_Space: no-break and ideographic spaces trim, zero-width characters stay",
        arguments: [
            ("\u{00A0}x\u{3000}", "x"), ("\t\u{202F}\u{0085}", ""), ("\u{200B}", "\u{200B}"),
            (" \u{200D}", "\u{200D}"), ("\u{FEFF}", "\u{FEFF}"), ("a\u{2028}", "a\u{2028}"), ("\u{0}", "\u{0}"),
        ])
    func unicodeWhitespace(value: String, expected: String) throws {
        let template = try TextTemplate("{{{a}}}")
        #expect(template.render(["a": value]).unicodeScalars.elementsEqual(expected.unicodeScalars))
    }

    @Test("field names are read from every kind of tag")
    func fields() throws {
        let template = try TextTemplate(
            "{{title}} {{#genre}}{{genre}}{{/genre}} {{{raw}}} {{^missing}}none{{/missing}} {{! comment}}")
        #expect(template.fields == ["title", "genre", "raw", "missing"])
    }

    @Test("a template with no field, or that does not parse, is a usage error")
    func badTemplates() {
        #expect(throws: EmbedSyncError.self) { try TextTemplate("just text") }
        #expect(throws: EmbedSyncError.self) { try TextTemplate("{{#a}}open section") }
    }

    @Test("the default template lists every text-like column except the id")
    func defaultTemplate() throws {
        let schema = SourceSchema(
            idColumn: "id",
            columns: [
                SourceColumn(name: "id", declaredType: "INTEGER", isTextLike: false),
                SourceColumn(name: "title", declaredType: "TEXT", isTextLike: true),
                SourceColumn(name: "price", declaredType: "REAL", isTextLike: false),
                SourceColumn(name: "body", declaredType: "VARCHAR(200)", isTextLike: true),
            ])
        let text = TextTemplate.defaultTemplate(for: schema)
        #expect(text == "{{#title}}title: {{title}}{{/title}}\n{{#body}}body: {{body}}{{/body}}")
        #expect(try TextTemplate(text).render(["title": "T", "body": nil]) == "title: T")
    }
}
