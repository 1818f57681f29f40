import EmbedSyncCore
import Foundation
import Testing

@testable import EmbedSyncTiktoken

@Suite("SHA-1 and SHA-256")
struct DigestTests {
    @Test(
        "SHA-1 matches the FIPS 180 test vectors",
        arguments: [
            ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
            (String(repeating: "a", count: 1_000), "291e9a6c66994949b57ba5e650361e98fc36b1ba"),
        ])
    func sha1Vectors(input: String, digest: String) {
        #expect(Digests.sha1Hex(input.utf8) == digest)
    }

    @Test(
        "SHA-256 matches the FIPS 180 test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (String(repeating: "a", count: 1_000), "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"),
        ])
    func sha256Vectors(input: String, digest: String) {
        #expect(sha256Hex(Array(input.utf8)) == digest)
    }

    @Test(
        "hashes lengths around the 55/56/64-byte padding boundaries (digests from hashlib)",
        arguments: [
            (
                55, "cef734ba81a024479e09eb5a75b6ddae62e6abf1",
                "d5e285683cd4efc02d021a5c62014694958901005d6f71e89e0989fac77e4072"
            ),
            (
                56, "901305367c259952f4e7af8323f480d59f81335b",
                "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e"
            ),
            (
                63, "0ddc4e0cccd9a12850deb5abb0853a4425559fec",
                "75220b47218278e656f2013bb8f0c455a25eaf01e86c64924e9d48d89776d6f2"
            ),
            (
                64, "bb2fa3ee7afb9f54c6dfb5d021f14b1ffe40c163",
                "7ce100971f64e7001e8fe5a51973ecdfe1ced42befe7ee8d5fd6219506b5393c"
            ),
            (
                65, "78c741ddc482e4cdf8c474a0876347a0905b6233",
                "9537c5fdf120482f7d58d25e9ed583f52c02b4e304ea814db1633ad565aed7e9"
            ),
            (
                119, "4300320394f7ee239bcdce7d3b8bcee173a0cd5c",
                "000b48d4edf0fa7bee3c6236ecd2785baa5db4eeb8bb54341b029e0d9fa5fb0c"
            ),
            (
                120, "ceb2821639c4b6dcb10bce0e522ca2e608ce056d",
                "13f05a0b594787f5ecd315edc96141bd3243203d1b7d4f0836f37308b276ba98"
            ),
        ])
    func paddingBoundaries(length: Int, sha1: String, sha256: String) {
        let input = Array(repeating: UInt8(ascii: "x"), count: length)
        #expect(Digests.sha1Hex(input) == sha1)
        #expect(sha256Hex(input) == sha256)
    }

    @Test("the tiktoken cache key for cl100k_base is the SHA-1 of its URL")
    func cacheKey() {
        #expect(TiktokenLocator.cacheKey(encoding: "cl100k_base") == "9b5ad71b2ce5302211f9c61530b329a4922fc6a4")
    }

    @Test("the shared cl100k_base.tiktoken has the published SHA-256")
    func sharedFileDigest() throws {
        let data = try Data(contentsOf: try TestResources.ranksFile())
        #expect(sha256Hex(data) == TiktokenLocator.knownDigests["cl100k_base"])
    }
}

private func sha256Hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
    Digests.sha256Hex(bytes)
}
