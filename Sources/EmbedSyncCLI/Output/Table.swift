/// A two-column box table like the `rich` tables users know, for summaries on stdout.
struct Table {
    var title: String
    var rows: [(String, String)] = []

    mutating func add(_ label: String, _ value: String) {
        rows.append((label, value))
    }

    func render() -> String {
        let left = max(rows.map { $0.0.count }.max() ?? 0, 4)
        let right = max(rows.map { $0.1.count }.max() ?? 0, 4)
        let width = left + right + 5
        var lines: [String] = []
        let titleLine = " " + title + " "
        let pad = max(0, width - 2 - titleLine.count)
        lines.append(
            "┏" + String(repeating: "━", count: pad / 2) + titleLine + String(repeating: "━", count: pad - pad / 2)
                + "┓")
        for (label, value) in rows {
            lines.append(
                "┃ " + label.padding(left) + " │ " + String(repeating: " ", count: right - value.count) + value + " ┃")
        }
        lines.append("┗" + String(repeating: "━", count: width - 2) + "┛")
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
