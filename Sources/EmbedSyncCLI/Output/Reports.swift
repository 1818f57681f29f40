import EmbedSyncCore
import Foundation

/// The summary table and the `--json` object of each command, with SPEC §5's keys.
enum Reports {
    static func runJSON(_ summary: RunSummary) -> JSONValue {
        var pairs: [(String, JSONValue)] = [
            ("selected", .int(Int64(summary.selected))),
            ("embedded", .int(Int64(summary.embedded))),
            ("failed", .int(Int64(summary.failed))),
            ("skipped", .int(Int64(summary.skipped))),
            ("failed_ids", .array(summary.failedIDs.map(\.jsonValue))),
            ("tokens", .int(Int64(summary.tokens))),
            ("cost_usd", .double(summary.costUSD)),
            ("requests", .int(Int64(summary.requests))),
            ("duration_s", .double((summary.durationSeconds * 1000).rounded() / 1000)),
        ]
        pairs += [
            ("status", .string(summary.outcome.rawValue)),
            ("skipped_empty", .int(Int64(summary.skippedEmpty))),
            ("skipped_failed", .int(Int64(summary.skippedFailed))),
            ("truncated", .int(Int64(summary.truncated))),
            ("chunked", .int(Int64(summary.chunked))),
            ("chunks_embedded", .int(Int64(summary.chunksEmbedded))),
            ("pruned", .int(Int64(summary.pruned))),
            ("provider", .string(summary.model.provider)),
            ("model", .string(summary.model.model)),
            ("dimensions", .int(Int64(summary.model.dimensions))),
        ]
        if summary.heldByOthers > 0 { pairs.append(("held_by_others", .int(Int64(summary.heldByOthers)))) }
        if let capture = summary.capture { pairs.append(("capture", .string(capture.rawValue))) }
        if let batch = summary.batch { pairs.append(("batch", batchJSON(batch))) }
        if let message = summary.message { pairs.append(("message", .string(message))) }
        return .object(pairs)
    }

    static func runTable(_ summary: RunSummary) -> String {
        var table = Table(title: "embedsync run")
        table.add("Selected", "\(summary.selected)")
        table.add("Embedded", "\(summary.embedded)")
        let failed = summary.failedIDs.prefix(10).map(\.description).joined(separator: ", ")
        table.add(
            "Failed",
            summary.failed == 0 ? "0" : "\(summary.failed) (ids: \(failed)\(summary.failed > 10 ? ", …" : ""))")
        table.add("Skipped", "\(summary.skipped) (\(summary.skippedEmpty) empty, \(summary.skippedFailed) failed 3×)")
        if summary.truncated > 0 { table.add("Truncated", "\(summary.truncated)") }
        if summary.chunked > 0 { table.add("Chunked", "\(summary.chunked) (pieces averaged)") }
        if summary.chunksEmbedded > 0 { table.add("Chunks embedded", "\(summary.chunksEmbedded)") }
        if summary.pruned > 0 { table.add("Pruned", "\(summary.pruned)") }
        table.add("Tokens", "\(summary.tokens)")
        table.add("Cost", String(format: "$%.6f", summary.costUSD))
        table.add("Requests", "\(summary.requests)")
        table.add("Duration", formatDuration(summary.durationSeconds))
        table.add("Model", summary.model.storageKey)
        if let batch = summary.batch { addBatchRows(batch, to: &table) }
        var text = table.render()
        if let message = summary.message { text += "\n" + message }
        return text
    }

    static func estimateJSON(_ estimate: Estimate) -> JSONValue {
        let counts = estimate.counts
        var pairs: [(String, JSONValue)] = [
            ("rows_total", .int(Int64(counts.rowsTotal))),
            ("rows_selected", .int(Int64(counts.selected))),
            ("missing", .int(Int64(counts.missing))),
            ("stale", .int(Int64(counts.stale))),
            ("up_to_date", .int(Int64(counts.upToDate))),
            ("skipped_empty", .int(Int64(counts.empty))),
            ("tokens", .int(Int64(estimate.tokens))),
            ("tokens_exact", .bool(estimate.tokensExact)),
            ("cost_usd", .double(estimate.costUSD)),
            ("provider", .string(estimate.model.provider)),
            ("model", .string(estimate.model.model)),
            ("dimensions", .int(Int64(estimate.model.dimensions))),
        ]
        pairs.append(("batch_cost_usd", estimate.batchCostUSD.map { .double($0) } ?? .null))
        pairs.append(("skipped_failed", .int(Int64(counts.skippedFailed))))
        pairs.append(("rows_over_token_limit", .int(Int64(estimate.rowsOverTokenLimit))))
        pairs.append(("long_inputs", .string(estimate.longInputs.rawValue)))
        pairs.append(("requests", .int(Int64(estimate.requests))))
        pairs.append(("chunks", estimate.chunks.map { .int(Int64($0)) } ?? .null))
        pairs.append(("projected_duration_s", .double((estimate.projectedSeconds * 10).rounded() / 10)))
        if let reason = estimate.approximationReason { pairs.append(("approximation", .string(reason))) }
        return .object(pairs)
    }

    static func estimateTable(_ estimate: Estimate) -> String {
        let counts = estimate.counts
        var table = Table(title: "embedsync estimate")
        table.add("Rows", "\(counts.rowsTotal)")
        table.add("Selected", "\(counts.selected) (\(counts.missing) missing, \(counts.stale) stale)")
        table.add("Up to date", "\(counts.upToDate)")
        table.add("Skipped", "\(counts.empty) empty, \(counts.skippedFailed) failed 3×")
        table.add("Tokens", "\(estimate.tokens)\(estimate.tokensExact ? " (exact)" : " (approximate)")")
        if let chunks = estimate.chunks { table.add("Chunks", "\(chunks)") }
        if estimate.rowsOverTokenLimit > 0 {
            let handling = estimate.longInputs == .chunk ? "chunked" : "truncated"
            table.add("Over token limit", "\(estimate.rowsOverTokenLimit) (\(handling))")
        }
        table.add("Cost", String(format: "$%.6f", estimate.costUSD))
        if let batch = estimate.batchCostUSD { table.add("Batch API cost", String(format: "$%.6f", batch)) }
        table.add("Requests", "\(estimate.requests)")
        table.add("Projected duration", formatDuration(estimate.projectedSeconds))
        table.add("Model", estimate.model.storageKey)
        var text = table.render()
        if let reason = estimate.approximationReason { text += "\nApproximate: \(reason)" }
        return text
    }
}
