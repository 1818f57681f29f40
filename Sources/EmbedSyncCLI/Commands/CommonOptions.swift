import ArgumentParser

/// Source, target, model and run options shared by every command; each is also a key in embedsync.yaml
/// and an `EMBEDSYNC_…` environment variable.
struct CommonOptions: ParsableArguments {
    @Option(help: "Config file (default: ./embedsync.yaml when present).") var config: String?
    @Option(
        help:
            """
            SQLite path (or sqlite:PATH), postgres://… or libsql://HOST (https://, http://) URL. Env: DATABASE_URL \
            also read.
            """
    )
    var database: String?
    @Option(help: "libSQL: environment variable holding the token (default TURSO_AUTH_TOKEN, then LIBSQL_AUTH_TOKEN).")
    var authTokenEnv: String?
    @Option(help: "Source table.") var table: String?
    @Option(help: "Source SELECT (joins allowed) returning the id column and the template's fields.") var query: String?
    @Option(help: "Id column (default: the primary key; `id` for a query).") var id: String?
    @Option(help: "Mustache template, e.g. 'Title: {{title}}'.") var template: String?
    @Option(help: "File holding the Mustache template.") var templateFile: String?
    @Option(help: "Table for vectors (default: <table>_embeddings).") var targetTable: String?
    @Option(help: "Column of the source table for vectors (column mode).") var targetColumn: String?
    @Option(help: "Database for vectors and bookkeeping (SQLite file, postgres:// or libsql://); rows stay read-only.")
    var targetDatabase: String?
    @Option(help: "local, openai, openrouter or openai-compatible (default: local).") var provider: String?
    @Option(help: "Model name.") var model: String?
    @Option(help: "Vector dimensions (v3 models can shorten).") var dimensions: String?
    @Option(help: "Provider base URL, e.g. http://localhost:11434/v1.") var baseURL: String?
    @Option(help: "Environment variable holding the API key.") var apiKeyEnv: String?
    @Option(help: "Folder with the local model's files.") var modelDir: String?
    @Option(help: "local: fp32 (default) or int8 (faster on AVX-512 VNNI; vectors within cosine 0.99 of fp32).")
    var precision: String?
    @Option(name: [.customLong("batch-size"), .customLong("batch")], help: "Inputs per request.") var batchSize: String?
    @Option(help: "Requests in flight at once (default 4); with a rate limit, the most in flight.")
    var concurrency: String?
    @Option(help: "Retries per request after the first attempt (default 5).") var maxRetries: String?
    @Option(help: "Seconds one provider request may take before it is retried (default 120).") var requestTimeout:
        String?
    @Option(help: "Client-side request limit per minute, evenly paced (default: the provider's reported limit).")
    var requestsPerMinute: String?
    @Option(help: "Client-side token limit per minute, evenly paced (default: the provider's reported limit).")
    var tokensPerMinute: String?
    @Option(
        help: "PostgreSQL: seconds one transaction may take before the command gives up on the server (default 120).")
    var databaseTimeout: String?
    @Option(help: "PostgreSQL, libSQL: seconds before a killed worker's claimed rows go to others (default 120).")
    var claimLease: String?
    @Option(
        help: "Texts over the provider's token limit: truncate (default) or chunk (embed the pieces, store their mean)."
    )
    var longInputs: String?
    @Option(
        help: """
            Split each row into chunks of at most N tokens (local model: at most 254) and store a vector per \
            chunk (table mode); search ranks rows by their best chunk.
            """)
    var chunkTokens: String?
    @Option(help: "Tokens each chunk repeats from the one before it (default 0; less than --chunk-tokens).")
    var chunkOverlap: String?

    var flags: [SettingKey: String] {
        var flags: [SettingKey: String] = [:]
        let pairs: [(SettingKey, String?)] = [
            (.database, database), (.authTokenEnv, authTokenEnv), (.table, table), (.query, query), (.id, id),
            (.template, template),
            (.templateFile, templateFile),
            (.targetTable, targetTable), (.targetColumn, targetColumn), (.targetDatabase, targetDatabase),
            (.provider, provider), (.model, model),
            (.dimensions, dimensions),
            (.baseURL, baseURL), (.apiKeyEnv, apiKeyEnv), (.modelDir, modelDir), (.precision, precision),
            (.batchSize, batchSize),
            (.concurrency, concurrency),
            (.maxRetries, maxRetries), (.requestsPerMinute, requestsPerMinute), (.tokensPerMinute, tokensPerMinute),
            (.claimLease, claimLease), (.longInputs, longInputs), (.timeout, requestTimeout),
            (.databaseTimeout, databaseTimeout), (.chunkTokens, chunkTokens), (.chunkOverlap, chunkOverlap),
        ]
        for case let (key, value?) in pairs { flags[key] = value }
        return flags
    }
}

/// Which rows to work on.
struct SelectionOptions: ParsableArguments {
    @Option(name: [.customLong("ids"), .customLong("sample-ids")], help: "Only these ids: 1,5,10-20.") var ids: String?
    @Flag(help: "Re-embed the selected rows even when fresh.") var force = false
    @Flag(help: "Also retry rows that failed in three runs.") var retryFailed = false
    @Flag(help: "Every row that is missing or stale (the default).") var all = false
    @Flag(help: "Continue where the last run stopped (the default behaviour).") var resume = false
}

/// How results are printed.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object on stdout and nothing else there.") var json = false
    @Flag(help: "No progress output.") var quiet = false
}
