import Testing

@testable import EmbedSyncCore

/// The fast renderer must give byte for byte what Mustache gives, or content hashes change and every row goes stale.
@Suite("TemplatePlan")
struct TemplatePlanTests {
    /// A seeded generator, so a failure can be replayed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let names = ["a", "b", "title_2"]
    static let literals = [
        "x", " ", "\t", "\n", "\r\n", ": ", "  \n", "\u{00A0}", "\u{3000}\n", "é", "e\u{301}", "}", "}}", "\u{2028}",
        "\r", "\n\n", "\u{85}", "\u{0B}", "\u{0C}", " \u{2029}",
    ]
    static let values: [String?] = [
        nil, "", " ", "x", "two\nlines", "  \n  ", "\r\n", "\u{3000}", "e\u{301}", "a}}b", "{{a}}", "\n", "ü \t",
    ]

    /// A random template: literals, variables of every tag form, and sections (possibly nested).
    static func template(_ random: inout SplitMix, depth: Int = 0) -> String {
        var source = ""
        for _ in 0..<Int.random(in: 1...6, using: &random) {
            let name = names.randomElement(using: &random)!
            switch Int.random(in: 0..<10, using: &random) {
            case 0...3: source += literals.randomElement(using: &random)!
            case 4: source += "{{\(name)}}"
            case 5: source += "{{{\(name)}}}"
            case 6: source += ["{{& \(name)}}", "{{ \(name) }}", "{{\t\(name)}}"].randomElement(using: &random)!
            default:
                guard depth < 2 else { continue }
                let sigil = Bool.random(using: &random) ? "#" : "^"
                source += "{{\(sigil)\(name)}}\(template(&random, depth: depth + 1)){{/\(name)}}"
            }
        }
        return source
    }

    static func escaped(_ text: String) -> String {
        text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined()
    }

    @Test("on 20,000 random templates and rows, the plan renders exactly what Mustache renders")
    func equalsMustache() throws {
        var random = SplitMix(state: 42)
        var planned = 0
        for _ in 0..<4000 {
            let source = Self.template(&random)
            guard let template = try? TextTemplate(source) else { continue }
            guard TemplatePlan(source) != nil else { continue }
            planned += 1
            for _ in 0..<5 {
                var row: [String: String?] = [:]
                for name in Self.names { row[name] = Self.values.randomElement(using: &random)! }
                let fast = template.render(row)
                let reference = template.renderWithMustache(row)
                #expect(
                    fast.utf8.elementsEqual(reference.utf8),
                    "template \(Self.escaped(source)), row \(row): \(Self.escaped(fast)) != \(Self.escaped(reference))"
                )
            }
        }
        #expect(planned > 1500, "most random templates should get a plan; \(planned) did")
    }

    @Test(
        "the usual templates get a plan; the ones Mustache treats specially do not",
        arguments: [
            ("{{title}}: {{body}}", true), ("{{#genre}}genre: {{genre}}{{/genre}}\n{{#a}}a: {{a}}{{/a}}", true),
            ("Title: {{ title }}\n{{{body}}}", true), ("{{#genre}}\nGenre: {{genre}}\n{{/genre}}", false),
            ("{{a.b}}", false), ("{{! note }}{{a}}", false), ("{{.}}", false), ("{{=<% %>=}}<% a %>", false),
            ("{{> part}}", false), ("{{first name}}", false), ("  {{^a}}  \r\n{{a}}", false),
        ])
    func coverage(source: String, planned: Bool) {
        #expect((TemplatePlan(source) != nil) == planned)
    }

    /// The tidying step as first written, splitting by `Character`: the byte-level one must agree with it.
    static func tidyByCharacters(_ rendered: String) -> String {
        let isBlank = { (scalar: Unicode.Scalar) in
            scalar.properties.isWhitespace && scalar != "\u{2028}" && scalar != "\u{2029}"
        }
        var lines: [Substring] = []
        for line in rendered.split(separator: "\n", omittingEmptySubsequences: false)
        where !line.unicodeScalars.allSatisfy(isBlank) {
            lines.append(line)
        }
        let text = lines.joined(separator: "\n").unicodeScalars
        guard let first = text.firstIndex(where: { !isBlank($0) }), let last = text.lastIndex(where: { !isBlank($0) })
        else { return "" }
        return String(text[first...last])
    }

    @Test("dropping blank lines and trimming agrees with splitting by Character on 20,000 random texts")
    func tidyEqualsCharacterSplit() {
        var random = SplitMix(state: 7)
        let pieces = Self.literals + ["word", "\r\n\r\n", "\n\u{301}", " \r", "\u{200B}", "\u{2029}\n"]
        for _ in 0..<20000 {
            let text = (0..<Int.random(in: 0...8, using: &random)).map { _ in pieces.randomElement(using: &random)! }
                .joined()
            let fast = TextTemplate.tidy(text)
            let reference = Self.tidyByCharacters(text)
            #expect(fast.utf8.elementsEqual(reference.utf8), "\(text.debugDescription)")
        }
    }
}
