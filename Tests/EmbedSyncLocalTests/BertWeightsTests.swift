import Foundation
import Testing

@testable import EmbedSyncLocal

@Suite("BertWeights and CheckpointKeys")
struct BertWeightsTests {
    private func loadError(_ tensors: [Fixtures.Tensor]) throws -> String {
        let folder = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder(), tensors: tensors)
        do {
            _ = try SentenceEmbeddingModel(directory: folder)
            return "no error"
        } catch let error as LocalModelError {
            #expect(error.code == .invalidWeights)
            return error.message
        }
    }

    @Test("maps checkpoint keys with or without a bert. prefix and skips unused tensors")
    func mapsKeys() {
        #expect(
            CheckpointKeys.canonicalName("bert.encoder.layer.3.attention.self.query.weight")
                == "encoder.layer.3.attention.self.query.weight")
        #expect(
            CheckpointKeys.canonicalName("embeddings.word_embeddings.weight") == "embeddings.word_embeddings.weight")
        #expect(
            CheckpointKeys.canonicalName("encoder.layer.0.output.LayerNorm.gamma")
                == "encoder.layer.0.output.LayerNorm.weight")
        #expect(CheckpointKeys.canonicalName("embeddings.position_ids") == nil)
        #expect(CheckpointKeys.canonicalName("bert.pooler.dense.weight") == nil)
    }

    @Test("loads a checkpoint whose keys carry a bert. prefix")
    func loadsPrefixedCheckpoint() throws {
        let folder = try Fixtures.tinyModelFolder(
            at: Fixtures.temporaryFolder(), tensors: Fixtures.tinyTensors(prefix: "bert."))
        let model = try SentenceEmbeddingModel(directory: folder)
        #expect(model.dimensions == Fixtures.hidden)
    }

    @Test("names a missing tensor")
    func rejectsMissingTensor() throws {
        let tensors = try Fixtures.tinyTensors().filter { $0.name != "encoder.layer.0.attention.self.key.bias" }
        let text = try loadError(tensors)
        #expect(text.contains("missing") && text.contains("encoder.layer.0.attention.self.key.bias"), "\(text)")
    }

    @Test("names an unexpected tensor")
    func rejectsUnexpectedTensor() throws {
        var tensors = try Fixtures.tinyTensors()
        tensors.append(.init(name: "encoder.layer.7.output.dense.weight", shape: [1], values: [0]))
        let text = try loadError(tensors)
        #expect(text.contains("unexpected") && text.contains("encoder.layer.7.output.dense.weight"), "\(text)")
    }

    @Test("names a tensor with the wrong shape")
    func rejectsWrongShape() throws {
        var tensors = try Fixtures.tinyTensors()
        let index = try #require(tensors.firstIndex { $0.name == "encoder.layer.0.intermediate.dense.weight" })
        tensors[index] = .init(
            name: tensors[index].name, shape: [Fixtures.hidden, Fixtures.intermediate],
            values: [Float](repeating: 0, count: Fixtures.hidden * Fixtures.intermediate))
        let text = try loadError(tensors)
        #expect(text.contains("encoder.layer.0.intermediate.dense.weight") && text.contains("shape [8, 16]"), "\(text)")
    }

    @Test("names a tensor with the wrong dtype")
    func rejectsWrongDtype() throws {
        var tensors = try Fixtures.tinyTensors()
        let index = try #require(tensors.firstIndex { $0.name == "embeddings.LayerNorm.bias" })
        tensors[index] = .init(
            name: "embeddings.LayerNorm.bias", dtype: "F16", shape: [Fixtures.hidden],
            bytes: Data(count: Fixtures.hidden * 2))
        let text = try loadError(tensors)
        #expect(text.contains("embeddings.LayerNorm.bias") && text.contains("F16"), "\(text)")
    }

    @Test("a tiny model embeds to unit vectors, with mean or CLS pooling as configured")
    func tinyModelEmbeds() throws {
        let mean = try SentenceEmbeddingModel(directory: Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder()))
        let cls = try SentenceEmbeddingModel(
            directory: Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder(), pooling: "cls"))
        let texts = ["hello world", "a hellos, world world world world world world"]
        #expect(mean.tokenIDs(texts[0]) == [2, 4, 5, 3])
        #expect(mean.tokenIDs(texts[1]).count == 8)  // truncated at max_seq_length 8
        #expect(mean.untruncatedTokenCount(texts[1]) == 12)
        let a = try mean.embed(texts)
        let b = try cls.embed(texts)
        for vector in a + b {
            let norm = vector.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
        #expect(TestResources.cosine(a[0], b[0]) < 0.9999, "mean and CLS pooling should differ")
    }

    @Test("tensors at offsets that are not 4-byte aligned are copied, and give the same vectors as aligned ones")
    func unalignedTensors() throws {
        // An unused 1-byte tensor first puts every tensor after it one byte off alignment.
        let aligned = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder())
        let shifted = try Fixtures.tinyModelFolder(
            at: Fixtures.temporaryFolder(),
            tensors: [.init(name: "embeddings.position_ids", dtype: "U8", shape: [1], bytes: Data([7]))]
                + Fixtures.tinyTensors())
        let file = try SafeTensorsFile(url: shifted.appendingPathComponent("model.safetensors"))
        let words = try #require(file.tensors["embeddings.word_embeddings.weight"])
        #expect((file.dataOffset + words.begin) % 4 != 0, "the fixture should misalign the word embeddings")
        let inPlace = file.withFloats(of: words) { Array($0) }
        #expect(inPlace == file.floats(of: words))
        let texts = ["hello world", "a hellos, world"]
        let expected = try SentenceEmbeddingModel(directory: aligned).embed(texts)
        #expect(try SentenceEmbeddingModel(directory: shifted).embed(texts) == expected)
    }

    @Test("a vocabulary longer than vocab_size is reported, ahead of a broken weights file")
    func vocabularyErrorComesFirst() throws {
        let tensors = try Fixtures.tinyTensors().filter { $0.name != "encoder.layer.0.output.dense.bias" }
        let folder = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder(), tensors: tensors)
        let words = Fixtures.vocabulary + ["extra"]
        try Data((words.joined(separator: "\n") + "\n").utf8).write(to: folder.appendingPathComponent("vocab.txt"))
        #expect {
            try SentenceEmbeddingModel(directory: folder)
        } throws: { error in
            let e = error as? LocalModelError
            return e?.code == .invalidVocabulary && (e?.message.contains("vocab_size") ?? false)
        }
    }
}
