/// The character classes the `cl100k_base` split pattern distinguishes, as bit flags.
///
/// `letter` is `\p{L}`, `number` is `\p{N}`, `space` is `\s` (Unicode `White_Space`) and
/// `newline` marks `\r` and `\n` (which are also `space`).
enum ScalarClass {
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let space: UInt8 = 4
    static let newline: UInt8 = 8

    /// Classes of every Basic Multilingual Plane scalar, computed once on first use (about 64 KB).
    static let bmpTable: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 0x10000)
        for value in 0..<0x10000 {
            if let scalar = Unicode.Scalar(UInt32(value)) {
                table[value] = computeClass(scalar)
            }
        }
        return table
    }()

    /// The newest Unicode version tiktoken's regex engine knows (Rust `regex-syntax` 0.8 ships
    /// Unicode 16.0). Scalars assigned later, such as CJK Extension J in Unicode 17, are
    /// unassigned there, so they must not count as letters here either.
    static let regexUnicodeMajorVersion = 16

    /// The class of a scalar, from the standard library's Unicode properties.
    static func computeClass(_ scalar: Unicode.Scalar) -> UInt8 {
        let properties = scalar.properties
        var result: UInt8 = 0
        if let age = properties.age, age.major > regexUnicodeMajorVersion {
            return result
        }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result |= letter
        case .decimalNumber, .letterNumber, .otherNumber:
            result |= number
        default:
            break
        }
        if properties.isWhitespace {
            result |= space
        }
        if scalar == "\r" || scalar == "\n" {
            result |= newline
        }
        return result
    }

    /// The class of a scalar value; `value` must be a valid scalar (it came from valid UTF-8).
    @inline(__always)
    static func of(_ value: UInt32, table: UnsafePointer<UInt8>) -> UInt8 {
        if value < 0x10000 {
            return table[Int(value)]
        }
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        return computeClass(scalar)
    }
}
