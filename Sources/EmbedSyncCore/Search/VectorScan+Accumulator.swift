import Foundation

extension VectorScan {
    /// An exact top-k over vectors that arrive one at a time as float32 BLOBs (a database cursor, pages of a remote
    /// server): they are packed into chunks, each full chunk is scored with SIMD on both cores (``VectorScan/topK``),
    /// and only the best `k` are kept, so memory stays flat in the number of rows.
    ///
    /// ```swift
    /// var scan = VectorScan.Accumulator(query: query, dimensions: 384, k: 10, minScore: nil)
    /// while let (id, blob) = try cursor.next() { scan.add(id: id, blob: blob) }
    /// let hits = scan.finish()
    /// ```
    public struct Accumulator: Sendable {
        let unit: [Float]
        let dimensions: Int
        let k: Int
        let minScore: Double?
        let floor: Float
        let chunkRows: Int
        var matrix: [Float]
        var norms: [Float]
        var ids: [RowID] = []
        var best: [(score: Float, id: RowID)] = []

        /// - Parameters:
        ///   - query: the query vector (any norm; it is normalised here).
        ///   - minScore: rows scoring below it are dropped.
        ///   - chunkRows: how many vectors are scored together.
        public init(query: [Float], dimensions: Int, k: Int, minScore: Double?, chunkRows: Int = 8192) {
            unit = VectorScan.normalized(query)
            self.dimensions = dimensions
            self.k = k
            self.minScore = minScore
            floor = minScore.map { Float($0) - 1e-6 } ?? -.infinity
            self.chunkRows = max(1, chunkRows)
            matrix = [Float](repeating: 0, count: self.chunkRows * dimensions)
            norms = [Float](repeating: 0, count: self.chunkRows)
            ids.reserveCapacity(self.chunkRows)
        }

        /// Adds one stored vector (little-endian float32 bytes); a BLOB of another length is skipped.
        public mutating func add(id: RowID, blob: Data) {
            guard blob.count == dimensions * 4 else { return }
            let (slot, dimensions) = (ids.count, dimensions)
            norms[slot] = matrix.withUnsafeMutableBufferPointer { m in
                VectorScan.decode(blob, into: m, at: slot * dimensions, dimensions: dimensions)
            }.squareRoot()
            ids.append(id)
            if ids.count == chunkRows { flush() }
        }

        /// Scores the vectors added since the last flush.
        public mutating func flush() {
            guard !ids.isEmpty else { return }
            let (count, dimensions, k, floor) = (ids.count, dimensions, k, floor)
            let top = matrix.withUnsafeBufferPointer { m in
                norms.withUnsafeBufferPointer { n in
                    VectorScan.topK(
                        query: unit, matrix: m, count: count, dimensions: dimensions, norms: n, k: k, minScore: floor)
                }
            }
            best += top.map { ($0.score, ids[$0.index]) }
            best.sort { $0.score > $1.score || ($0.score == $1.score && $0.id < $1.id) }
            if best.count > k { best.removeLast(best.count - k) }
            ids.removeAll(keepingCapacity: true)
        }

        /// The best `k`, best first (ties by id).
        public mutating func finish() -> [SearchHit] {
            flush()
            return best.filter { Double($0.score) >= (minScore ?? -.infinity) - 1e-6 }.map {
                SearchHit(id: $0.id, score: Double($0.score), values: [:], storedText: nil)
            }
        }
    }

    /// Decodes a little-endian float32 BLOB into `matrix` at `offset`; returns the vector's squared norm.
    public static func decode(
        _ blob: Data, into matrix: UnsafeMutableBufferPointer<Float>, at offset: Int, dimensions: Int
    ) -> Float {
        var sum: Float = 0
        blob.withUnsafeBytes { raw in
            for d in 0..<dimensions {
                let value = Float(
                    bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: d * 4, as: UInt32.self)))
                matrix[offset + d] = value
                sum += value * value
            }
        }
        return sum
    }
}
