import EmbedSyncCore
import Foundation
import Synchronization

/// An in-process Batch API for store and pipeline tests that need no HTTP: a batch is in progress when created and
/// completed at its first retrieval, with ``ScriptedEmbedder``'s vectors for its inputs.
public final class ScriptedBatchService: BatchService, Sendable {
    public let identity: ModelIdentity
    public let limits = ProviderLimits.openAI
    public let tokenCounter: any TokenCounter = ApproximateTokenCounter(reason: "test")
    private let state = Mutex<(files: [String: [UInt8]], batches: [String: String], submitted: [String: Int])>(
        ([:], [:], [:]))

    public init(dimensions: Int) {
        identity = ModelIdentity(provider: "scripted", model: "scripted", dimensions: dimensions)
    }

    /// How often each input was submitted.
    public var submitted: [String: Int] { state.withLock { $0.submitted } }

    public func requestLine(customID: String, inputs: [String]) -> [UInt8] {
        let object: [String: Any] = ["custom_id": customID, "inputs": inputs]
        return (try? Array(JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))) ?? []
    }

    public func upload(file path: String, bytes: Int, name: String) async throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return state.withLock { state in
            let id = "file-\(state.files.count + 1)"
            state.files[id] = Array(data)
            return id
        }
    }

    public func create(inputFileID: String, metadata: [String: String]) async throws -> RemoteBatch {
        let id = state.withLock { state in
            let id = "batch-\(state.batches.count + 1)"
            state.batches[id] = inputFileID
            for line in Self.lines(state.files[inputFileID] ?? []) {
                for input in line.inputs { state.submitted[input, default: 0] += 1 }
            }
            return id
        }
        return RemoteBatch(id: id, status: .inProgress, inputFileID: inputFileID)
    }

    public func retrieve(_ batchID: String) async throws -> RemoteBatch {
        let file = state.withLock { $0.batches[batchID] }
        return RemoteBatch(id: batchID, status: .completed, inputFileID: file, outputFileID: file)
    }

    public func find(inputFileID: String) async throws -> RemoteBatch? {
        let id = state.withLock { $0.batches.first { $0.value == inputFileID }?.key }
        return id.map { RemoteBatch(id: $0, status: .inProgress, inputFileID: inputFileID) }
    }

    public func cancel(_ batchID: String) async throws -> RemoteBatch {
        RemoteBatch(id: batchID, status: .cancelling)
    }

    public func results(
        fileID: String, pageSize: Int, _ handle: ([BatchResultLine]) async throws -> Void
    ) async throws {
        let lines = Self.lines(state.withLock { $0.files[fileID] ?? [] })
        try await handle(
            lines.map { line in
                BatchResultLine(
                    customID: line.customID,
                    outcome: .vectors(
                        line.inputs.map { FakeProviderServer.vector(for: $0, dimensions: identity.dimensions) },
                        tokens: line.inputs.count))
            })
    }

    private static func lines(_ bytes: [UInt8]) -> [(customID: String, inputs: [String])] {
        bytes.split(separator: 0x0a).compactMap { line in
            guard let json = try? LenientJSON.parse(Array(line)), let id = json["custom_id"]?.string else { return nil }
            return (id, json["inputs"]?.array?.compactMap(\.string) ?? [])
        }
    }
}
