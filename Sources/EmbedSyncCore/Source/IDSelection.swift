import Foundation

/// The `--ids 1,5,10-20` selection: single ids and inclusive integer ranges.
public struct IDSelection: Sendable, Equatable {
    public var ranges: [ClosedRange<Int64>]
    public var textIDs: Set<String>

    /// Parses `1,5,10-20`. Non-numeric items are taken as text ids.
    /// - Throws: ``EmbedSyncError`` (`.usage`) for empty items or reversed ranges.
    public init(parsing text: String) throws {
        ranges = []
        textIDs = []
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard !items.isEmpty, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw EmbedSyncError(.usage, "\(.ids) is empty. Give ids like 1,5,10-20.")
        }
        for item in items {
            if item.isEmpty {
                throw EmbedSyncError(.usage, "\(.ids) '\(text)' has an empty item. Give ids like 1,5,10-20.")
            }
            if let value = Int64(item) {
                ranges.append(value...value)
                continue
            }
            let bounds = item.split(separator: "-", maxSplits: 1).map { String($0) }
            if bounds.count == 2, let low = Int64(bounds[0].trimmingCharacters(in: .whitespaces)),
                let high = Int64(bounds[1].trimmingCharacters(in: .whitespaces))
            {
                guard low <= high else {
                    throw EmbedSyncError(.usage, "\(.ids) range '\(item)' runs backwards. Write it as \(high)-\(low).")
                }
                ranges.append(low...high)
                continue
            }
            if item.contains("-"), item.first?.isNumber == true {
                throw EmbedSyncError(.usage, "\(.ids) item '\(item)' is not an id or a range like 10-20.")
            }
            textIDs.insert(item)
        }
    }

    /// Refuses items that cannot be ids of the id column's type (text on an integer column), before anything runs.
    /// - Throws: ``EmbedSyncError`` (`.usage`) naming the item, the column and its type.
    public func check(against schema: SourceSchema) throws {
        guard let item = textIDs.sorted().first,
            let column = schema.columns.first(where: { $0.name == schema.idColumn }),
            column.declaredType.lowercased().contains("int")
        else { return }
        throw EmbedSyncError(
            .usage,
            """
            \(.ids) item '\(item)' cannot be an id: the id column '\(column.name)' is \(column.declaredType). Give \
            integer ids or ranges, like 1,5,10-20.
            """
        )
    }

    public func contains(_ id: RowID) -> Bool {
        switch id {
        case .int(let value): return ranges.contains { $0.contains(value) }
        case .text(let value):
            return textIDs.contains(value) || Int64(value).map { v in ranges.contains { $0.contains(v) } } == true
        }
    }
}
