import EmbedSyncCore

/// What `embedsync init` proposes to embed: the fields a person would write into the template.
///
/// Readable text and numbers that mean something (a price, a BPM, a year) go in; ids, foreign keys, paths, URLs,
/// hashes, secrets, timestamps, flags and binary data stay out. A vector column of the table itself (Supabase style,
/// `embedding vector(1536)`) is proposed as the target column.
struct TemplateProposal {
    let fields: [SourceColumn]
    /// The table's own vector column, when it has one.
    let vectorColumn: String?

    init(schema: SourceSchema) {
        var fields: [SourceColumn] = []
        var vectorColumn: String?
        for column in schema.columns where column.name != schema.idColumn {
            let type = column.declaredType.lowercased()
            if TemplateProposal.isVectorType(type) {
                if vectorColumn == nil { vectorColumn = column.name }
                continue
            }
            guard !TemplateProposal.isMachineField(column.name, type: type) else { continue }
            if column.isTextLike || TemplateProposal.isMeaningfulNumber(column.name, type: type) {
                fields.append(column)
            }
        }
        self.fields = fields
        self.vectorColumn = vectorColumn
    }

    /// `label: value` lines, each vanishing when its value is NULL or empty; the schema's default when nothing fits.
    func template(default fallback: String) -> String {
        guard !fields.isEmpty else { return fallback }
        return fields.map { "{{#\($0.name)}}\(TemplateProposal.label($0.name)): {{\($0.name)}}{{/\($0.name)}}" }
            .joined(separator: "\n")
    }

    static func isVectorType(_ type: String) -> Bool {
        ["vector", "halfvec", "f32_blob", "f64_blob", "f16_blob", "f8_blob"].contains { type.hasPrefix($0) }
    }

    /// The words of a column name: `artist_id` → `artist`, `id`; `createdAt` → `created`, `at`.
    static func words(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in name {
            if character == "_" || character == "-" || character == " " {
                if !current.isEmpty { words.append(current) }
                current = ""
            } else if character.isUppercase, let last = current.last, last.isLowercase {
                words.append(current)
                current = String(character)
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.map { $0.lowercased() }
    }

    static let machineWords: Set<String> = [
        "id", "ids", "uuid", "guid", "key", "fk", "pk", "hash", "sha", "sha1", "sha256", "md5", "checksum", "digest",
        "token", "password", "secret", "salt", "path", "file", "filename", "filepath", "url", "uri", "href", "slug",
        "at", "timestamp", "created", "updated", "modified", "deleted", "mime", "etag", "embedding", "vector",
    ]
    static let machineTypes = ["timestamp", "date", "time", "bool", "blob", "bytea", "uuid", "json", "inet", "bit"]

    static func isMachineField(_ name: String, type: String) -> Bool {
        if machineTypes.contains(where: { type.hasPrefix($0) }) { return true }
        return words(name).contains { machineWords.contains($0) }
    }

    static let meaningfulNumbers: Set<String> = [
        "price", "cost", "amount", "bpm", "tempo", "year", "rating", "score", "stars", "duration", "length", "minutes",
        "pages", "weight", "height", "width", "age", "calories", "votes", "rank", "popularity", "capacity", "size",
        "population", "volume", "quantity", "salary", "mileage", "runtime", "released", "founded", "edition",
    ]

    static func isMeaningfulNumber(_ name: String, type: String) -> Bool {
        let numeric = ["int", "real", "float", "double", "numeric", "decimal", "money", "smallint", "bigint"]
        guard numeric.contains(where: { type.contains($0) }) else { return false }
        return words(name).contains { meaningfulNumbers.contains($0) }
    }

    /// `release_year` → `Release year`, `bpm` → `BPM`.
    static func label(_ name: String) -> String {
        let words = words(name).map { $0 == "bpm" ? "BPM" : $0 }
        guard let first = words.first else { return name }
        let head = first == "BPM" ? first : first.prefix(1).uppercased() + first.dropFirst()
        return ([head] + words.dropFirst()).joined(separator: " ")
    }
}
