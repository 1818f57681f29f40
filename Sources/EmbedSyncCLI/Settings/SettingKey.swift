import EmbedSyncCore
import Foundation

/// One configuration setting: its key in embedsync.yaml, its flag, and its environment variable.
struct SettingKey: Hashable, Sendable {
    /// Dotted key in embedsync.yaml, e.g. `source.table`.
    let key: String
    /// The long flag, e.g. `--table`.
    let flag: String
    /// The environment variable, e.g. `EMBEDSYNC_TABLE`.
    let environment: String

    init(_ key: String, flag: String) {
        self.key = key
        self.flag = "--" + flag
        self.environment = "EMBEDSYNC_" + flag.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    static let database = SettingKey("database", flag: "database")
    static let authTokenEnv = SettingKey("auth_token_env", flag: "auth-token-env")
    static let table = SettingKey("source.table", flag: "table")
    static let query = SettingKey("source.query", flag: "query")
    static let id = SettingKey("source.id", flag: "id")
    static let template = SettingKey("source.template", flag: "template")
    static let templateFile = SettingKey("source.template_file", flag: "template-file")
    static let targetTable = SettingKey("target.table", flag: "target-table")
    static let targetColumn = SettingKey("target.column", flag: "target-column")
    static let targetDatabase = SettingKey("target.database", flag: "target-database")
    static let storeText = SettingKey("target.store_text", flag: "store-text")
    static let provider = SettingKey("embedding.provider", flag: "provider")
    static let model = SettingKey("embedding.model", flag: "model")
    static let dimensions = SettingKey("embedding.dimensions", flag: "dimensions")
    static let baseURL = SettingKey("embedding.base_url", flag: "base-url")
    static let apiKeyEnv = SettingKey("embedding.api_key_env", flag: "api-key-env")
    static let modelDir = SettingKey("embedding.model_dir", flag: "model-dir")
    static let precision = SettingKey("embedding.precision", flag: "precision")
    static let timeout = SettingKey("embedding.timeout", flag: "request-timeout")
    static let batchSize = SettingKey("run.batch_size", flag: "batch-size")
    static let concurrency = SettingKey("run.concurrency", flag: "concurrency")
    static let maxRetries = SettingKey("run.max_retries", flag: "max-retries")
    static let requestsPerMinute = SettingKey("run.requests_per_minute", flag: "requests-per-minute")
    static let tokensPerMinute = SettingKey("run.tokens_per_minute", flag: "tokens-per-minute")
    static let maxCost = SettingKey("run.max_cost", flag: "max-cost")
    static let claimLease = SettingKey("run.claim_lease", flag: "claim-lease")
    static let longInputs = SettingKey("run.long_inputs", flag: "long-inputs")
    static let wait = SettingKey("run.wait", flag: "wait")
    static let fullCheckEvery = SettingKey("run.full_check_every", flag: "full-check-every")
    static let batchAPI = SettingKey("run.batch_api", flag: "batch-api")
    static let batchAPISize = SettingKey("run.batch_api_size", flag: "batch-api-size")
    static let databaseTimeout = SettingKey("database_timeout", flag: "database-timeout")
    static let price = SettingKey("pricing.per_million_tokens", flag: "price-per-million")
    static let batchPrice = SettingKey("pricing.batch_per_million_tokens", flag: "batch-price-per-million")
    static let host = SettingKey("serve.host", flag: "host")
    static let port = SettingKey("serve.port", flag: "port")
    static let tokenEnv = SettingKey("serve.token_env", flag: "token-env")
    static let corsOrigins = SettingKey("serve.cors_origins", flag: "cors-origin")
    static let maxBodyBytes = SettingKey("serve.max_body_bytes", flag: "max-body-bytes")
    static let serveWatch = SettingKey("serve.watch", flag: "watch")
    static let modelAliases = SettingKey("serve.model_aliases", flag: "model-alias")
    static let searchMode = SettingKey("search.mode", flag: "search-mode")
    static let chunkTokens = SettingKey("run.chunk_tokens", flag: "chunk-tokens")
    static let chunkOverlap = SettingKey("run.chunk_overlap", flag: "chunk-overlap")

    static let all: [SettingKey] = [
        .database, .authTokenEnv, .table, .query, .id, .template, .templateFile, .targetTable, .targetColumn,
        .targetDatabase, .storeText, .provider,
        .model,
        .dimensions, .baseURL, .apiKeyEnv, .modelDir, .precision, .timeout, .batchSize, .concurrency, .maxRetries,
        .requestsPerMinute,
        .tokensPerMinute, .maxCost, .claimLease, .longInputs, .wait, .fullCheckEvery, .batchAPI, .batchAPISize,
        .databaseTimeout, .price,
        .batchPrice,
        .host, .port, .tokenEnv, .corsOrigins, .maxBodyBytes, .serveWatch, .modelAliases, .searchMode,
        .chunkTokens, .chunkOverlap,
    ]
}

extension Parameter {
    /// The flag that sets this parameter, as the CLI's messages spell it (`--target-table`).
    var flag: String {
        if let setting = SettingKey.all.first(where: { $0.key == rawValue }) { return setting.flag }
        return "--" + rawValue
    }
}
