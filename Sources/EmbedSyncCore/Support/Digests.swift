import Crypto

/// Hex digests from swift-crypto, for content hashes and file checks.
package enum Digests {
    /// The lowercase hex SHA-256 of `bytes`.
    package static func sha256Hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return hex(hasher.finalize())
    }

    /// The lowercase hex SHA-1 of `bytes` (tiktoken names its cache files this way; not for security).
    package static func sha1Hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        hex(Insecure.SHA1.hash(data: Array(bytes)))
    }

    static func hex<Digest: Sequence>(_ digest: Digest) -> String where Digest.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in digest {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// A streaming SHA-256 over strings and bytes, for the content hash of a rendered row.
package struct ContentHasher {
    private var hasher = SHA256()

    package init() {}

    package mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
    }

    package mutating func update(_ bytes: [UInt8]) {
        hasher.update(data: bytes)
    }

    /// The lowercase hex digest.
    package func finalize() -> String {
        Digests.hex(hasher.finalize())
    }
}
