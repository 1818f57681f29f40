import Foundation

/// Temporary folders and files for tests, removed by the caller.
public enum TestFiles {
    /// A new empty folder under the system's temporary directory.
    public static func makeFolder(_ prefix: String = "embedsync-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A file of the `shared/` folder that sits beside the repository (golden outputs, the tiktoken ranks).
    /// - Throws: when no `shared/<relativePath>` exists above the package root.
    public static func sharedFile(_ relativePath: String) throws -> URL {
        var folder = packageRoot()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("shared").appendingPathComponent(relativePath)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        throw CocoaError(
            .fileNoSuchFile, userInfo: [NSFilePathErrorKey: "shared/\(relativePath) beside the repository"])
    }

    /// The package root, found by walking up from a source file of the caller.
    public static func packageRoot(from file: String = #filePath) -> URL {
        var url = URL(fileURLWithPath: file).deletingLastPathComponent()
        while url.path != "/" {
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }
}
