@_spi(Benchmark) import EmbedSyncLocal
// embedsync-local-bench: measures SentenceEmbeddingModel on the Debian package corpus.
//
//   embedsync-local-bench --variant short|long --n 2000 [--corpus PATH] [--model-dir DIR]
//                         [--workers 2] [--blas-threads 1] [--tokens-per-pass 2048] [--repeat 1]
//                         [--kernel blas|avx512]   (default: avx512 where the CPU has it)
//                         [--precision fp32|int8] [--int8-kernel vnni|portable] [--int8-group 32]
//                         [--packed-cache DIR]  (save packed weights there, or map them when saved before)
//                         [--texts FILE --dump OUT]  (embed FILE's texts, one JSON string a line, write the
//                                                     vectors to OUT as little-endian float32, 384 a text)
//   embedsync-local-bench --sgemm-peak               (sustained sgemm GFLOP/s on 2 threads, per kernel)
//
// Prints one JSON line. The timed region is one `embed` call on all N texts (tokenization included),
// after loading and a warm-up on the first 64 texts, like shared/bench/bench.py.
import Foundation

struct Options {
    var variant = "short"
    var count = 2000
    var corpus: String?
    var modelDirectory: String?
    var workers = 2
    var blasThreads = 1
    var tokensPerPass = 512
    var repeats = 1
    var kernel = MatrixKernel.automatic
    var precision = ModelPrecision.fp32
    var int8Kernel = Int8Kernel.automatic
    var int8Group = Int8Kernel.groupSize
    var textsFile: String?
    var dump: String?
    var packedCache: String?
}

func parseOptions(_ arguments: [String]) -> Options? {
    var options = Options()
    var index = 0
    while index < arguments.count {
        let flag = arguments[index]
        guard index + 1 < arguments.count else { return nil }
        let value = arguments[index + 1]
        switch flag {
        case "--variant": options.variant = value
        case "--n":
            guard let n = Int(value) else { return nil }
            options.count = n
        case "--corpus": options.corpus = value
        case "--model-dir": options.modelDirectory = value
        case "--workers":
            guard let n = Int(value) else { return nil }
            options.workers = n
        case "--blas-threads":
            guard let n = Int(value) else { return nil }
            options.blasThreads = n
        case "--tokens-per-pass":
            guard let n = Int(value) else { return nil }
            options.tokensPerPass = n
        case "--repeat":
            guard let n = Int(value) else { return nil }
            options.repeats = n
        case "--kernel":
            guard let kernel = MatrixKernel(rawValue: value) else { return nil }
            options.kernel = kernel
        case "--precision":
            guard let precision = ModelPrecision(rawValue: value) else { return nil }
            options.precision = precision
        case "--int8-kernel":
            guard let kernel = Int8Kernel(rawValue: value) else { return nil }
            options.int8Kernel = kernel
        case "--int8-group":
            guard let n = Int(value), n > 0 else { return nil }
            options.int8Group = n
        case "--texts": options.textsFile = value
        case "--dump": options.dump = value
        case "--packed-cache": options.packedCache = value
        default: return nil
        }
        index += 2
    }
    guard options.variant == "short" || options.variant == "long" else { return nil }
    return options
}

func peakResidentKilobytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }
    return -1
}

/// User + system CPU seconds this process has used.
func processCPUSeconds() -> Double {
    var usage = rusage()
    #if canImport(Glibc)
    getrusage(RUSAGE_SELF.rawValue, &usage)  // Glibc imports RUSAGE_SELF as an enum case
    #else
    getrusage(RUSAGE_SELF, &usage)
    #endif
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// CPU seconds all processes on the machine have used (from /proc/stat), to spot a busy machine.
func machineCPUSeconds() -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
        let line = stat.split(separator: "\n").first
    else { return 0 }
    let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
    guard fields.count >= 8 else { return 0 }
    let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
    return busy / 100
}

func loadTexts(path: String, variant: String, count: Int) throws -> [String] {
    let data = try String(contentsOfFile: path, encoding: .utf8)
    var texts: [String] = []
    for line in data.split(separator: "\n") where !line.isEmpty {
        guard texts.count < count else { break }
        guard let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let name = row["name"] as? String, let description = row["description"] as? String
        else { continue }
        if variant == "short" {
            let synopsis =
                description.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            texts.append("\(name): \(synopsis)")
        } else {
            texts.append(description)
        }
    }
    return texts
}

/// One JSON string per line.
func loadTextLines(path: String) throws -> [String] {
    try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap { line in
        try JSONSerialization.jsonObject(with: Data(line.utf8), options: [.fragmentsAllowed]) as? String
    }
}

func main() -> Int32 {
    let environment = ProcessInfo.processInfo.environment
    if CommandLine.arguments.dropFirst().first == "--sgemm-peak" {
        // This machine's sustained sgemm on 2 threads, per kernel, to put the model's GFLOP/s in proportion.
        var peaks: [String: Any] = ["engine": "sgemm-peak", "blas_kernels": SentenceEmbeddingModel.blasKernels]
        for kernel in MatrixKernel.allCases where kernel.isAvailable {
            peaks["\(kernel.rawValue)_gflops_per_s"] = kernel.measureGFLOPS()
        }
        let json = (try? JSONSerialization.data(withJSONObject: peaks, options: [.sortedKeys])) ?? Data()
        print(String(decoding: json, as: UTF8.self))
        return 0
    }
    guard let options = parseOptions(Array(CommandLine.arguments.dropFirst())) else {
        FileHandle.standardError.write(
            Data(
                """
                usage: embedsync-local-bench --variant short|long --n N [--corpus PATH] [--model-dir DIR] [--workers \
                W] [--blas-threads B] [--tokens-per-pass T] [--repeat R] [--kernel blas|avx512] \
                [--precision fp32|int8] [--int8-kernel vnni|portable] [--int8-group G] [--texts FILE --dump OUT]\n
                """
                .utf8))
        return 64
    }
    let corpus =
        options.corpus ?? environment["CORPUS"]
        ?? (environment["PERF_DIR"] ?? (NSTemporaryDirectory() + "perf-anchors")) + "/debian_packages.jsonl"
    do {
        let texts =
            if let file = options.textsFile {
                try loadTextLines(path: file)
            } else {
                try loadTexts(path: corpus, variant: options.variant, count: options.count)
            }
        let loadStart = Date()
        let locator = ModelLocator(
            modelDirectory: options.modelDirectory ?? environment["EMBEDSYNC_MODEL_DIR"],
            environment: environment, extraPythonPrefixes: [FileManager.default.currentDirectoryPath + "/.venv"])
        let directory = try locator.locate()
        let model = try SentenceEmbeddingModel(
            directory: directory, workers: options.workers,
            blasThreads: options.blasThreads, tokensPerPass: options.tokensPerPass,
            kernel: options.kernel, precision: options.precision, int8Kernel: options.int8Kernel,
            int8Group: options.int8Group, packedCache: options.packedCache.map { URL(fileURLWithPath: $0) })
        if let dump = options.dump {
            let vectors = try model.embed(texts)
            let data = vectors.flatMap { $0 }.withUnsafeBufferPointer { Data(buffer: $0) }
            try data.write(to: URL(fileURLWithPath: dump))
            return 0
        }
        let loadSeconds = Date().timeIntervalSince(loadStart)
        _ = try model.embed(Array(texts.prefix(64)))
        var tokens = 0
        var flops = 0.0
        for text in texts {
            let length = Double(model.tokenCount(text))
            tokens += Int(length)
            flops += 21_233_664 * length + 9_216 * length * length
        }
        var times: [Double] = []
        let cpuStart = processCPUSeconds()
        let machineStart = machineCPUSeconds()
        for _ in 0..<max(1, options.repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            let vectors = try model.embed(texts)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            guard vectors.count == texts.count else { return 1 }
        }
        let selfCPU = processCPUSeconds() - cpuStart
        let foreignCPU = max(0, machineCPUSeconds() - machineStart - selfCPU)
        let wall = times.sorted()[times.count / 2]
        let result: [String: Any] = [
            "engine": "embedsync-local", "variant": options.variant, "n": texts.count,
            "workers": options.workers, "blas_threads": options.blasThreads, "tokens_per_pass": options.tokensPerPass,
            "kernel": model.kernel.rawValue, "precision": model.precision.rawValue,
            "int8_kernel": model.precision == .int8 ? model.int8Kernel.rawValue : "-",
            "wall_s": wall, "texts_per_s": Double(texts.count) / wall, "tokens_per_s": Double(tokens) / wall,
            "mean_tokens": Double(tokens) / Double(max(1, texts.count)),
            "gflops_per_s": flops / wall / 1e9, "load_s": loadSeconds, "peak_rss_kb": peakResidentKilobytes(),
            "runs_s": times, "self_cpu_s": selfCPU,
            "texts_per_cpu_s": Double(texts.count * times.count) / max(selfCPU, 1e-9),
            "foreign_cpu_frac": foreignCPU / max(1e-9, times.reduce(0, +) * 2),
            "blas_kernels": SentenceEmbeddingModel.blasKernels,
        ]
        let json = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
        print(String(decoding: json, as: UTF8.self))
        return 0
    } catch {
        FileHandle.standardError.write(Data("embedsync-local-bench: \(error)\n".utf8))
        return 1
    }
}

exit(main())
