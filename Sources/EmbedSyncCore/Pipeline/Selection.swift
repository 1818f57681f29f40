/// Which rows a run or an estimate works on.
public struct Selection: Sendable, Equatable {
    /// Only these ids (`--ids`); `nil` means every row.
    public var ids: IDSelection?
    /// Re-embed selected rows even when fresh (`--force`).
    public var force: Bool
    /// Retry rows that failed in `maxFailedRuns` runs (`--retry-failed`).
    public var retryFailed: Bool
    /// After failing in this many runs a row is skipped until `--retry-failed`.
    public var maxFailedRuns: Int

    public init(ids: IDSelection? = nil, force: Bool = false, retryFailed: Bool = false, maxFailedRuns: Int = 3) {
        self.ids = ids
        self.force = force
        self.retryFailed = retryFailed
        self.maxFailedRuns = maxFailedRuns
    }
}

/// What a row needs, given its rendered text and what is stored.
public enum RowState: String, Sendable {
    case missing
    case stale
    case upToDate = "up_to_date"
    case empty
}

/// A row rendered and classified.
public struct PlannedRow: Sendable {
    public var id: RowID
    public var text: String
    public var contentHash: String
    public var state: RowState
    /// Whether this run should embed it.
    public var selected: Bool
    /// Whether it was left out because it failed in too many runs.
    public var skippedAsFailed: Bool
    /// The template fields it was rendered from, as scanned.
    public var values: [String: String?] = [:]
}

/// Renders rows and decides which need embedding.
public struct RowClassifier: Sendable {
    public let template: TextTemplate
    public let model: ModelIdentity
    public let selection: Selection
    /// Chunk settings (`--chunk-tokens`), part of the content hash: changing them marks every row stale.
    public var chunking: ChunkSettings?

    public init(template: TextTemplate, model: ModelIdentity, selection: Selection, chunking: ChunkSettings? = nil) {
        self.template = template
        self.model = model
        self.selection = selection
        self.chunking = chunking
    }

    /// The content hash: the template and the rendered text (and the chunk settings, when chunking), so editing
    /// either marks the row stale.
    public func contentHash(text: String) -> String {
        var hasher = ContentHasher()
        hasher.update(template.source)
        hasher.update([0x1f])
        hasher.update(text)
        if let chunking {
            hasher.update([0x1e])
            hasher.update("chunks \(chunking.tokens) \(chunking.overlap)")
        }
        return hasher.finalize()
    }

    /// What a fingerprint of the source's fields is valid for besides the model: the template, and the chunk
    /// settings when chunking (``FreshnessKey/template``).
    public var freshnessTemplate: String {
        template.source + (chunking.map { "\u{1e}chunks \($0.tokens) \($0.overlap)" } ?? "")
    }

    public func classify(_ row: ScannedRow) -> PlannedRow {
        let text = template.render(row.values)
        let hash = contentHash(text: text)
        let state: RowState
        if text.isEmpty {
            state = .empty
        } else if let stored = row.stored {
            state = (stored.contentHash == hash && stored.modelKey == model.storageKey) ? .upToDate : .stale
        } else {
            state = .missing
        }
        let inSelection = selection.ids?.contains(row.id) ?? true
        var selected = inSelection && state != .empty && (state != .upToDate || selection.force)
        var skippedAsFailed = false
        if selected, !selection.retryFailed, let failure = row.failure,
            failure.runs >= selection.maxFailedRuns, failure.contentHash == hash
        {
            selected = false
            skippedAsFailed = true
        }
        return PlannedRow(
            id: row.id, text: text, contentHash: hash, state: state, selected: selected,
            skippedAsFailed: skippedAsFailed, values: row.values)
    }
}
