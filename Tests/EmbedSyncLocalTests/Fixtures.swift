import Foundation

@testable import EmbedSyncLocal

/// `count` deterministic values in [-1, 1] from a linear congruential generator started at `seed`.
func pseudoRandom(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 20001 - 10000) / 10000
    }
}

/// Builders for small synthetic model files in temporary folders.
enum Fixtures {
    struct Tensor {
        var name: String
        var dtype: String = "F32"
        var shape: [Int]
        var bytes: Data

        init(name: String, shape: [Int], values: [Float]) {
            self.name = name
            self.shape = shape
            var data = Data()
            for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
            bytes = data
        }

        init(name: String, dtype: String, shape: [Int], bytes: Data) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
            self.bytes = bytes
        }
    }

    /// A fresh empty temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "embedsync-local-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The bytes of a safetensors file holding `tensors`; `headerLengthOverride` writes a wrong length field.
    static func safetensors(_ tensors: [Tensor], headerLengthOverride: UInt64? = nil) -> Data {
        var entries: [String] = []
        var offset = 0
        var body = Data()
        for tensor in tensors {
            let shape = tensor.shape.map(String.init).joined(separator: ",")
            entries.append(
                """
                "\(tensor.name)":{"dtype":"\(tensor.dtype)","shape":[\(shape)],\
                "data_offsets":[\(offset),\(offset + tensor.bytes.count)]}
                """
            )
            offset += tensor.bytes.count
            body.append(tensor.bytes)
        }
        var header = Data(("{\"__metadata__\":{\"format\":\"pt\"}," + entries.joined(separator: ",") + "}").utf8)
        while header.count % 8 != 0 { header.append(0x20) }
        var file = Data()
        let length = headerLengthOverride ?? UInt64(header.count)
        withUnsafeBytes(of: length.littleEndian) { file.append(contentsOf: $0) }
        file.append(header)
        file.append(body)
        return file
    }

    /// Sizes of the tiny model.
    static let hidden = 8, heads = 2, layers = 1, intermediate = 16, positions = 16
    static let vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello", "world", "##s", ",", "a"]

    /// The tensors of a tiny random BERT (deterministic values), with an optional key prefix like `bert.`.
    static func tinyTensors(prefix: String = "") throws -> [Tensor] {
        var seed: UInt64 = 42
        func values(_ count: Int) -> [Float] {
            (0..<count).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                return Float(Int64(bitPattern: seed >> 11) % 2000 - 1000) / 4000
            }
        }
        var shapes: [(String, [Int])] = []
        let config = try tinyConfiguration()
        for (name, shape) in CheckpointKeys.expectedShapes(for: config) { shapes.append((name, shape)) }
        shapes.sort { $0.0 < $1.0 }
        var tensors = shapes.map { Tensor(name: prefix + $0.0, shape: $0.1, values: values($0.1.reduce(1, *))) }
        tensors.append(
            Tensor(
                name: prefix + "embeddings.position_ids", dtype: "I64", shape: [1, positions],
                bytes: Data(count: positions * 8)))
        return tensors
    }

    static func tinyConfiguration() throws -> BertConfiguration {
        // Decoded from the same JSON the folder gets, so both stay in step.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "embedsync-tiny-config-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(configJSON.utf8).write(to: folder.appendingPathComponent("config.json"))
        return try BertConfiguration(directory: folder)
    }

    static let configJSON = """
        {"hidden_size": \(hidden), "num_attention_heads": \(heads), "num_hidden_layers": \(layers),
         "intermediate_size": \(intermediate), "max_position_embeddings": \(positions), "vocab_size": \
         \(vocabulary.count),
         "type_vocab_size": 2, "layer_norm_eps": 1e-12, "hidden_act": "gelu"}
        """

    /// Writes a complete tiny model folder and returns it.
    @discardableResult
    static func tinyModelFolder(
        at folder: URL, tensors: [Tensor]? = nil, pooling: String = "mean", maxSequenceLength: Int = 8
    ) throws -> URL {
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("1_Pooling"), withIntermediateDirectories: true)
        try Data(configJSON.utf8).write(to: folder.appendingPathComponent("config.json"))
        try Data((vocabulary.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))
        try Data("{\"max_seq_length\": \(maxSequenceLength), \"do_lower_case\": false}".utf8)
            .write(to: folder.appendingPathComponent("sentence_bert_config.json"))
        let poolingJSON =
            pooling == "cls"
            ? "{\"pooling_mode_cls_token\": true, \"pooling_mode_mean_tokens\": false}"
            : "{\"pooling_mode_cls_token\": false, \"pooling_mode_mean_tokens\": true}"
        try Data(poolingJSON.utf8).write(to: folder.appendingPathComponent("1_Pooling/config.json"))
        try safetensors(tensors ?? tinyTensors()).write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}
