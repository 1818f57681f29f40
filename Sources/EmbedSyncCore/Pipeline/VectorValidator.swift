/// Checks a vector before it may be stored: dimensions, finite values, non-zero norm.
public enum VectorValidator {
    /// - Returns: `nil` when the vector is fine, else the reason it is rejected.
    public static func problem(with vector: [Float], expectedDimensions: Int) -> String? {
        if vector.count != expectedDimensions {
            return "vector has \(vector.count) dimensions, expected \(expectedDimensions)"
        }
        var sumOfSquares: Float = 0
        for value in vector {
            if !value.isFinite { return "vector contains NaN or infinity" }
            sumOfSquares += value * value
        }
        if !(sumOfSquares > 0) || !sumOfSquares.isFinite { return "vector has zero norm" }
        return nil
    }
}
