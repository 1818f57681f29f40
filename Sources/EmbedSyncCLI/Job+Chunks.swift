import EmbedSyncCore

extension Job {
    /// `--chunk-tokens N [--chunk-overlap M]` (`run.chunk_tokens`, `run.chunk_overlap`), or `nil` without chunking.
    /// Whether N fits the model is checked where the model is known (runs, estimates).
    /// - Throws: ``EmbedSyncError`` (`.usage`) for a value that is not a whole number, an overlap without chunks, or
    /// an overlap not less than N.
    func chunking() throws -> ChunkSettings? {
        let overlap = try settings.positiveInt(.chunkOverlap, allowZero: true)
        guard let tokens = try settings.positiveInt(.chunkTokens) else {
            if overlap != nil {
                throw EmbedSyncError(
                    .usage, "\(settings.origin(.chunkOverlap)) needs \(SettingKey.chunkTokens.flag) N as well.")
            }
            return nil
        }
        let settings = ChunkSettings(tokens: tokens, overlap: overlap ?? 0)
        if settings.overlap >= tokens {
            throw EmbedSyncError(
                .usage,
                """
                \(self.settings.origin(.chunkOverlap)) is \(settings.overlap); it must be less than \
                \(SettingKey.chunkTokens.flag) (\(tokens)).
                """)
        }
        return settings
    }
}
