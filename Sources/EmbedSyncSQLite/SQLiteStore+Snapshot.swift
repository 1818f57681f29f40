import EmbedSyncCore
import Foundation
import GRDB

extension SQLiteStore: VectorSnapshotStore {
    /// Reads every vector of `model` in one read transaction, in id order, into one matrix of unit vectors.
    public func vectorSnapshot(model: ModelIdentity) async throws -> VectorSnapshot {
        let schema = try await sourceSchema()
        return try await database("vector load") {
            try await queue.read { db in
                guard try db.tableExists(self.targetTable) else {
                    return VectorSnapshot(ids: [], vectors: [], dimensions: model.dimensions, models: [:])
                }
                let models = try self.storedModels(db)
                let (sql, arguments) = try self.vectorQuery(db, schema: schema, model: model, filter: nil)
                let expected = try Int.fetchOne(db, sql: "SELECT count(*) FROM (\(sql))", arguments: arguments) ?? 0
                let dimensions = model.dimensions
                var ids: [RowID] = []
                ids.reserveCapacity(expected)
                var vectors = [Float](repeating: 0, count: expected * dimensions)
                let cursor = try Row.fetchCursor(db, sql: sql + " ORDER BY t.id", arguments: arguments)
                try vectors.withUnsafeMutableBufferPointer { matrix in
                    while let row = try cursor.next(), ids.count < expected {
                        guard let id = RowID(row[0] as DatabaseValue), let blob = row[1] as Data?,
                            blob.count == dimensions * 4
                        else { continue }
                        let offset = ids.count * dimensions
                        let norm = VectorScan.decode(blob, into: matrix, at: offset, dimensions: dimensions)
                            .squareRoot()
                        guard norm > 0, norm.isFinite else { continue }
                        for d in offset..<offset + dimensions { matrix[d] /= norm }
                        ids.append(id)
                    }
                }
                vectors.removeLast((expected - ids.count) * dimensions)
                return VectorSnapshot(ids: ids, vectors: vectors, dimensions: dimensions, models: models)
            }
        }
    }

    public func ids(matching filter: SearchFilter) async throws -> [RowID] {
        let schema = try await sourceSchema()
        return try await database("search") {
            try await queue.read { db in
                let (sql, arguments) = try self.matchingIDs(db, schema: schema, filter: filter)
                return try DatabaseValue.fetchAll(db, sql: sql, arguments: arguments).compactMap(RowID.init)
            }
        }
    }

    /// SQLite's `PRAGMA data_version`, read on a connection of its own, so commits through this store's connection
    /// count as well as other processes'.
    public func changeVersion() async throws -> Int64 {
        try await database("change check") {
            let watcher = try state.withLock { state in
                if let watcher = state.watcher { return watcher }
                var grdb = GRDB.Configuration()
                grdb.readonly = true
                grdb.busyMode = .timeout(configuration.busyTimeout)
                grdb.label = "embedsync-watcher"
                let watcher = try DatabaseQueue(path: configuration.path, configuration: grdb)
                state.watcher = watcher
                return watcher
            }
            return try await watcher.read { db in try Int64.fetchOne(db, sql: "PRAGMA data_version") ?? 0 }
        }
    }
}
