import EmbedSyncCore
import Foundation

extension Reports {
    /// The `batch` object of `run --batch-api --json`.
    static func batchJSON(_ report: BatchReport) -> JSONValue {
        .object([
            ("collected_batches", .int(Int64(report.collectedBatches))),
            ("submitted_batches", .int(Int64(report.submittedBatches))),
            ("submitted_rows", .int(Int64(report.submittedRows))),
            ("submitted_ids", .array(report.submittedIDs.map { .string($0) })),
            ("pending_batches", .int(Int64(report.pendingBatches))),
            ("pending_rows", .int(Int64(report.pendingRows))),
            ("stale_on_arrival", .int(Int64(report.staleOnArrival))),
            ("resent", .int(Int64(report.resent))),
        ])
    }

    static func addBatchRows(_ report: BatchReport, to table: inout Table) {
        table.add("Batches collected", "\(report.collectedBatches)")
        table.add("Batches submitted", "\(report.submittedBatches) (\(report.submittedRows) rows)")
        table.add("Batches pending", "\(report.pendingBatches) (\(report.pendingRows) rows)")
        if report.staleOnArrival > 0 { table.add("Edited while pending", "\(report.staleOnArrival) (sent again)") }
        if report.resent > 0 { table.add("Not done, sent again", "\(report.resent)") }
    }

    /// The `batches` array of `status --json`: the pending Batch API jobs.
    static func pendingBatchesJSON(_ batches: [PendingBatch], now: Double) -> JSONValue {
        .array(
            batches.map { batch in
                .object([
                    ("id", batch.batchID.map { .string($0) } ?? .null), ("file_id", .string(batch.fileID)),
                    ("status", .string(batch.status.rawValue)),
                    ("age_s", .double(((now - batch.createdAt) * 10).rounded() / 10)),
                    ("rows", .int(Int64(batch.requests))), ("tokens", .int(Int64(batch.tokens))),
                    ("completed", .int(Int64(batch.completed))), ("failed", .int(Int64(batch.failed))),
                ])
            })
    }
}
