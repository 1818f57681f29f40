import Foundation

/// A `.safetensors` file: an 8-byte little-endian header length, a JSON header naming each tensor's
/// dtype, shape and byte range, then the raw little-endian data. Memory-mapped; every range is checked.
struct SafeTensorsFile: Sendable {
    /// One tensor's entry in the header.
    struct TensorInfo: Sendable, Equatable {
        let name: String
        let dtype: String
        let shape: [Int]
        /// Byte range relative to the start of the data section.
        let begin: Int
        let end: Int
    }

    let file: MappedFile
    let tensors: [String: TensorInfo]
    /// Absolute offset of the data section in the file.
    let dataOffset: Int

    /// Bytes per element of the dtypes safetensors defines.
    static let elementSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
        "U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    /// Maps and validates `url`.
    /// - Throws: `LocalModelError(.invalidWeights)` naming the problem: a header longer than the file,
    ///   malformed JSON, an unknown dtype, a byte range outside the file or not matching the shape.
    init(url: URL) throws {
        let file = try MappedFile(url: url)
        let path = url.path
        guard let base = file.bytes, file.count >= 8 else {
            throw LocalModelError(
                .invalidWeights, "'\(path)' is too short (\(file.count) bytes) to be a safetensors file.")
        }
        var headerLength: UInt64 = 0
        for i in 0..<8 {
            headerLength |= UInt64(base.load(fromByteOffset: i, as: UInt8.self)) << (8 * UInt64(i))
        }
        guard headerLength <= UInt64(file.count - 8) else {
            throw LocalModelError(
                .invalidWeights,
                """
                '\(path)' is truncated or not a safetensors file: its header claims \(headerLength) bytes but the \
                file has \(file.count - 8) after the length field.
                """
            )
        }
        let headerData = Data(bytes: base + 8, count: Int(headerLength))
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerData)
        } catch {
            throw LocalModelError(.invalidWeights, "The header of '\(path)' is not valid JSON.", underlying: error)
        }
        guard let entries = json as? [String: Any] else {
            throw LocalModelError(.invalidWeights, "The header of '\(path)' is not a JSON object.")
        }
        let dataOffset = 8 + Int(headerLength)
        let dataLength = file.count - dataOffset
        var tensors: [String: TensorInfo] = [:]
        for (name, value) in entries where name != "__metadata__" {
            guard let entry = value as? [String: Any],
                let dtype = entry["dtype"] as? String,
                let shapeValues = entry["shape"] as? [Any],
                let offsets = entry["data_offsets"] as? [Any], offsets.count == 2
            else {
                throw LocalModelError(.invalidWeights, "Tensor '\(name)' in '\(path)' has a malformed header entry.")
            }
            let shape = try shapeValues.map { item -> Int in
                guard let n = (item as? NSNumber)?.intValue, n >= 0 else {
                    throw LocalModelError(.invalidWeights, "Tensor '\(name)' in '\(path)' has a malformed shape.")
                }
                return n
            }
            guard let begin = (offsets[0] as? NSNumber)?.intValue, let end = (offsets[1] as? NSNumber)?.intValue,
                begin >= 0, end >= begin
            else {
                throw LocalModelError(.invalidWeights, "Tensor '\(name)' in '\(path)' has malformed data offsets.")
            }
            guard end <= dataLength else {
                throw LocalModelError(
                    .invalidWeights,
                    """
                    '\(path)' is truncated: tensor '\(name)' ends at byte \(end) of the data section, which has \
                    \(dataLength) bytes.
                    """
                )
            }
            guard let elementSize = Self.elementSizes[dtype] else {
                throw LocalModelError(.invalidWeights, "Tensor '\(name)' in '\(path)' has unknown dtype \(dtype).")
            }
            var elements = 1
            for dimension in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else {
                    throw LocalModelError(
                        .invalidWeights, "Tensor '\(name)' in '\(path)' has an impossible shape \(shape).")
                }
                elements = product
            }
            guard elements.multipliedReportingOverflow(by: elementSize) == (end - begin, false) else {
                throw LocalModelError(
                    .invalidWeights,
                    """
                    Tensor '\(name)' in '\(path)' holds \(end - begin) bytes, but shape \(shape) of \(dtype) needs \
                    \(elements * elementSize).
                    """
                )
            }
            tensors[name] = TensorInfo(name: name, dtype: dtype, shape: shape, begin: begin, end: end)
        }
        self.file = file
        self.tensors = tensors
        self.dataOffset = dataOffset
    }

    /// The raw bytes of a tensor (valid while this file is alive).
    func rawBytes(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        guard let base = file.bytes else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + dataOffset + tensor.begin, count: tensor.end - tensor.begin)
    }

    /// Calls `body` with a `F32` tensor's values: read in place from the mapping where this machine can
    /// (little-endian, the bytes 4-byte aligned), else copied (``floats(of:)``). Valid only during `body`.
    func withFloats<R>(of tensor: TensorInfo, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        let raw = rawBytes(of: tensor)
        #if _endian(little)
        if let start = raw.baseAddress, Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0 {
            let floats = UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: raw.count / 4)
            return try withExtendedLifetime(file) { try body(floats) }
        }
        #endif
        return try floats(of: tensor).withUnsafeBufferPointer(body)
    }

    /// Copies a `F32` tensor's values into a new array, converting from little-endian.
    func floats(of tensor: TensorInfo) -> [Float] {
        let raw = rawBytes(of: tensor)
        let count = raw.count / 4
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if let destination = buffer.baseAddress, let source = raw.baseAddress {
                #if _endian(little)
                UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: count * 4)
                #else
                for i in 0..<count {
                    destination[i] = Float(
                        bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
                #endif
            }
            initialized = count
        }
    }
}
