extension EmbeddingStore {
    /// The template's fields, checked against the source's columns.
    /// - Throws: ``EmbedSyncError`` (`.usage`) naming the unknown fields and the columns there are.
    public func checkTemplateFields(_ template: TextTemplate) async throws -> [String] {
        let schema = try await sourceSchema()
        let unknown = template.fields.filter { schema.column(named: $0) == nil && $0 != schema.idColumn }
        if !unknown.isEmpty {
            let available = schema.columns.map(\.name).joined(separator: ", ")
            throw EmbedSyncError(
                .usage,
                """
                The template names \(unknown.map { "'\($0)'" }.joined(separator: ", ")), not a column of the source. \
                Columns: \(available).
                """
            )
        }
        return template.fields
    }
}
