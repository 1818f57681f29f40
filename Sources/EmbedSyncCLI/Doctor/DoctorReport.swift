import EmbedSyncCore
import EmbedSyncLocal

/// One line of `embedsync doctor`: what was checked, how it went, and the fix.
struct DoctorCheck: Sendable, Equatable {
    /// How a check went. `skip` means it could not run because an earlier check failed, or does not apply.
    enum Status: String, Sendable {
        case ok, warn, fail, skip
    }

    /// Stable name, e.g. `database`, `source`, `provider` (the JSON `name`).
    var name: String
    var status: Status
    /// What was found: a path, a count, a version, or what is wrong. Never a key or a password.
    var detail: String
    /// What to do about a `warn` or `fail`; `nil` when there is nothing to do.
    var fix: String?

    static func ok(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .ok, detail: detail, fix: nil)
    }

    static func warn(_ name: String, _ detail: String, fix: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .warn, detail: detail, fix: fix)
    }

    static func fail(_ name: String, _ detail: String, fix: String?) -> DoctorCheck {
        DoctorCheck(name: name, status: .fail, detail: detail, fix: fix)
    }

    static func skip(_ name: String, _ detail: String) -> DoctorCheck {
        DoctorCheck(name: name, status: .skip, detail: detail, fix: nil)
    }

    /// A failed check from an error: its message (which names the input and the fix, spelled with the CLI's flags).
    static func fail(_ name: String, _ error: any Error, fix: String? = nil) -> DoctorCheck {
        .fail(name, DoctorReport.describe(error), fix: fix)
    }
}

/// Every check of one `embedsync doctor`, in the order printed.
struct DoctorReport: Sendable {
    var checks: [DoctorCheck] = []

    /// No check failed (warnings and skips allowed).
    var ok: Bool { !checks.contains { $0.status == .fail } }

    mutating func add(_ check: DoctorCheck) {
        checks.append(check)
    }

    /// A one-line description of an error a check ran into.
    static func describe(_ error: any Error) -> String {
        if let error = error as? EmbedSyncError { return error.message(naming: \.flag) }
        if let error = error as? ProviderError { return error.text.rendered(naming: \.flag) }
        if let error = error as? LocalModelError { return error.detail.rendered(naming: \.flag) }
        return String(describing: error)
    }

    /// `{"ok": bool, "checks": [{"name", "status", "detail", "fix"}]}`; `fix` is `null` when there is nothing to do.
    var json: JSONValue {
        .object([
            ("ok", .bool(ok)),
            (
                "checks",
                .array(
                    checks.map { check in
                        .object([
                            ("name", .string(check.name)), ("status", .string(check.status.rawValue)),
                            ("detail", .string(check.detail)), ("fix", check.fix.map { .string($0) } ?? .null),
                        ])
                    })
            ),
        ])
    }

    /// One line per check, `OK`/`WARN`/`FAIL`/`SKIP`, with the fix indented under it, and a verdict.
    func render() -> String {
        let width = max(checks.map(\.name.count).max() ?? 0, 8)
        var lines = ["embedsync doctor"]
        for check in checks {
            let status = check.status.rawValue.uppercased()
            let label = status + String(repeating: " ", count: 5 - status.count)
            let name = check.name + String(repeating: " ", count: width - check.name.count)
            let detail = check.detail.split(separator: "\n", omittingEmptySubsequences: false)
            lines.append("  \(label) \(name)  \(detail.first.map(String.init) ?? "")")
            let indent = String(repeating: " ", count: width + 10)
            lines += detail.dropFirst().map { indent + $0 }
            if let fix = check.fix { lines.append(indent + "fix: " + fix) }
        }
        let failed = checks.filter { $0.status == .fail }.count
        let warned = checks.filter { $0.status == .warn }.count
        if failed > 0 {
            let checks = "\(failed) check\(failed == 1 ? "" : "s")"
            lines.append("\(checks) failed: `embedsync run` would stop. Fix the lines marked FAIL.")
        } else {
            lines.append("Ready to run\(warned > 0 ? " (\(warned) warning\(warned == 1 ? "" : "s"))" : "").")
        }
        return lines.joined(separator: "\n")
    }
}
