import CEmbedSyncKernels

/// A weight matrix quantised to int8 once at load and packed for ``Int8Kernel``, in 64-byte-aligned memory.
// @unchecked Sendable: written only in init, read-only afterwards.
final class QuantizedWeight: @unchecked Sendable {
    let packed: UnsafeMutablePointer<Int8>
    /// One scale per output channel, padded to whole panels.
    let scales: UnsafeMutablePointer<Float>
    /// `-128 · Σ w` per panel, group and output: undoes the +128 offset of the unsigned activations.
    let corrections: UnsafeMutablePointer<Int32>
    let group: Int

    /// Quantises the PyTorch-layout `weight[outputs×inputs]`; `group` divides `inputs` and is a multiple of 4.
    init(weight: UnsafePointer<Float>, outputs: Int, inputs: Int, group: Int) {
        self.group = group
        let columns = es_i8_padded_columns(outputs)
        packed = Self.allocate(Int8.self, count: es_i8_packed_bytes(outputs, inputs))
        scales = Self.allocate(Float.self, count: columns)
        corrections = Self.allocate(Int32.self, count: columns * max(1, inputs / group))
        es_i8_pack_weight(weight, outputs, inputs, group, packed, scales, corrections)
    }

    private static func allocate<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<T>.stride, alignment: 64)
            .bindMemory(to: T.self, capacity: max(1, count))
    }

    deinit {
        UnsafeMutableRawPointer(packed).deallocate()
        UnsafeMutableRawPointer(scales).deallocate()
        UnsafeMutableRawPointer(corrections).deallocate()
    }

    /// The largest group of at most `preferred` inputs that divides `inputs` and is a multiple of 4, else `inputs`.
    static func group(inputs: Int, preferred: Int) -> Int {
        var size = min(preferred, inputs) / 4 * 4
        while size >= 4 {
            if inputs % size == 0 { return size }
            size -= 4
        }
        return inputs
    }
}

/// A thread's buffers for quantised activations, grown when a layer needs more. Not shared between threads.
final class Int8Workspace {
    private(set) var values = UnsafeMutablePointer<UInt8>.allocate(capacity: 1)
    private(set) var scales = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private var valueCapacity = 1
    private var scaleCapacity = 1

    /// Makes room for `values` bytes and `scales` floats.
    func reserve(values count: Int, scales scaleCount: Int) {
        if count > valueCapacity {
            values.deallocate()
            values = .allocate(capacity: count)
            valueCapacity = count
        }
        if scaleCount > scaleCapacity {
            scales.deallocate()
            scales = .allocate(capacity: scaleCount)
            scaleCapacity = scaleCount
        }
    }

    deinit {
        values.deallocate()
        scales.deallocate()
    }
}
