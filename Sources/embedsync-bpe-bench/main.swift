// Benchmarks EmbedSyncTiktoken on a corpus (a JSON array of texts) on one core.
// Usage: embedsync-bpe-bench RANKS_FILE CORPUS.json [MIN_SECONDS]
// Prints one JSON line: load time, tokens/s and MB/s for encode and count.
// With MIN_SECONDS "dump" it instead prints the token ids of every text as one JSON array of arrays
// (bench/verify.sh compares them with Python tiktoken).
import EmbedSyncTiktoken
import Foundation

let arguments = CommandLine.arguments
guard arguments.count >= 3 else {
    FileHandle.standardError.write(Data("usage: embedsync-bpe-bench RANKS_FILE CORPUS.json [MIN_SECONDS]\n".utf8))
    exit(2)
}
let ranksURL = URL(fileURLWithPath: arguments[1])
let minSeconds = arguments.count > 3 ? Double(arguments[3]) ?? 3 : 3
let clock = ContinuousClock()

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
}

do {
    var encoding: TiktokenEncoding?
    let firstLoad = try clock.measure { encoding = try TiktokenEncoding.load(ranksFile: ranksURL) }
    var bestLoad = firstLoad
    for _ in 0..<4 {
        bestLoad = min(bestLoad, try clock.measure { encoding = try TiktokenEncoding.load(ranksFile: ranksURL) })
    }
    guard let encoding else { exit(1) }
    let texts = try JSONDecoder().decode([String].self, from: Data(contentsOf: URL(fileURLWithPath: arguments[2])))
    if arguments.count > 3, arguments[3] == "dump" {
        let ids = texts.map(encoding.encode)
        FileHandle.standardOutput.write(try JSONSerialization.data(withJSONObject: ids))
        exit(0)
    }
    let firstEncode = clock.measure { _ = encoding.encode("warm-up: ünïcödé 日本 ١٢٣") }
    let totalBytes = texts.reduce(0) { $0 + $1.utf8.count }
    _ = texts.prefix(2000).map(encoding.encode)  // Warm-up, including the Unicode class table.

    func measure(_ body: (String) -> Int) -> (tokensPerSecond: Double, mbPerSecond: Double, tokens: Int) {
        var passes = 0
        var tokens = 0
        var elapsed = Duration.zero
        while passes == 0 || milliseconds(elapsed) < minSeconds * 1000 {
            var passTokens = 0
            elapsed += clock.measure { for text in texts { passTokens += body(text) } }
            tokens = passTokens
            passes += 1
        }
        let seconds = milliseconds(elapsed) / 1000
        return (Double(tokens * passes) / seconds, Double(totalBytes * passes) / seconds / 1e6, tokens)
    }
    let encoded = measure { encoding.encode($0).count }
    let counted = measure { encoding.count($0) }
    let result: [String: Any] = [
        "impl": "EmbedSyncTiktoken",
        "texts": texts.count, "tokens": encoded.tokens, "bytes": totalBytes,
        "encode_tokens_per_s": Int(encoded.tokensPerSecond),
        "encode_mb_per_s": (encoded.mbPerSecond * 100).rounded() / 100,
        "count_tokens_per_s": Int(counted.tokensPerSecond),
        "count_mb_per_s": (counted.mbPerSecond * 100).rounded() / 100,
        "first_encode_ms": (milliseconds(firstEncode) * 10).rounded() / 10,
        "load_ms_first": (milliseconds(firstLoad) * 10).rounded() / 10,
        "load_ms_best": (milliseconds(bestLoad) * 10).rounded() / 10,
    ]
    let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: json, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("embedsync-bpe-bench: \(error)\n".utf8))
    exit(1)
}
