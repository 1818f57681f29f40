import Foundation
import Testing

@testable import EmbedSyncLocal

@Suite("SafeTensorsFile")
struct SafeTensorsTests {
    private func write(_ data: Data) throws -> URL {
        let url = try Fixtures.temporaryFolder().appendingPathComponent("model.safetensors")
        try data.write(to: url)
        return url
    }

    private func message(_ body: () throws -> Void) -> String {
        do {
            try body()
        } catch let error as LocalModelError {
            return error.message
        } catch {
            return "unexpected error type: \(error)"
        }
        return "no error"
    }

    @Test("reads names, dtypes, shapes and little-endian values")
    func readsTensors() throws {
        let url = try write(
            Fixtures.safetensors([
                .init(name: "a", shape: [2, 2], values: [1, -2, 3.5, 4]),
                .init(name: "b", shape: [3], values: [0.25, 0.5, 0.75]),
            ]))
        let file = try SafeTensorsFile(url: url)
        #expect(file.tensors.count == 2)
        let a = try #require(file.tensors["a"])
        #expect(a.shape == [2, 2] && a.dtype == "F32")
        #expect(file.floats(of: a) == [1, -2, 3.5, 4])
        #expect(file.floats(of: try #require(file.tensors["b"])) == [0.25, 0.5, 0.75])
    }

    @Test("rejects a header length larger than the file")
    func rejectsOversizedHeader() throws {
        let url = try write(
            Fixtures.safetensors([.init(name: "a", shape: [1], values: [1])], headerLengthOverride: 1 << 40))
        let text = message { _ = try SafeTensorsFile(url: url) }
        #expect(text.contains("header claims 1099511627776 bytes"), "\(text)")
    }

    @Test("rejects a file whose data is cut short, naming the tensor")
    func rejectsTruncatedData() throws {
        let full = Fixtures.safetensors([.init(name: "layer.weight", shape: [4], values: [1, 2, 3, 4])])
        let url = try write(full.prefix(full.count - 3))
        let text = message { _ = try SafeTensorsFile(url: url) }
        #expect(text.contains("truncated") && text.contains("layer.weight"), "\(text)")
    }

    @Test("rejects a file shorter than the length field")
    func rejectsTinyFile() throws {
        let url = try write(Data([1, 2, 3]))
        #expect(message { _ = try SafeTensorsFile(url: url) }.contains("too short"))
    }

    @Test("rejects a header that is not JSON")
    func rejectsBadJSON() throws {
        var data = Data()
        withUnsafeBytes(of: UInt64(8).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data("not json".utf8))
        let url = try write(data)
        #expect(message { _ = try SafeTensorsFile(url: url) }.contains("not valid JSON"))
    }

    @Test("rejects a byte range that does not match the shape")
    func rejectsShapeSizeMismatch() throws {
        let url = try write(Fixtures.safetensors([.init(name: "odd", dtype: "F32", shape: [3], bytes: Data(count: 8))]))
        let text = message { _ = try SafeTensorsFile(url: url) }
        #expect(text.contains("odd") && text.contains("needs 12"), "\(text)")
    }

    @Test("rejects an unknown dtype, naming the tensor")
    func rejectsUnknownDtype() throws {
        let url = try write(Fixtures.safetensors([.init(name: "q", dtype: "F7", shape: [1], bytes: Data(count: 1))]))
        let text = message { _ = try SafeTensorsFile(url: url) }
        #expect(text.contains("'q'") && text.contains("F7"), "\(text)")
    }
}
