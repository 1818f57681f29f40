import EmbedSyncCore

extension LibSQLStore {
    /// `DELETE … WHERE id NOT IN (source ids)` for the target, plus stale failure records, in one transaction.
    public func pruneOrphans(run: RunRecord) async throws -> Int {
        let schema = try await sourceSchema()
        guard try await countOrphans() > 0 else { return 0 }
        let ids = "SELECT \(quoteIdentifier(schema.idColumn)) FROM \(sourceSQL)"
        var statements = createTableStatements(dimensions: run.model.dimensions)
        let deleteIndex = statements.count
        statements += [
            HranaStatement("DELETE FROM \(quoteIdentifier(targetTable)) WHERE id NOT IN (\(ids))", wantRows: false),
            HranaStatement(
                "DELETE FROM embedsync_failures WHERE target = ? AND row_id NOT IN (\(ids))", [.text(targetTable)],
                wantRows: false),
            insertRun(run),
        ]
        let results = try await client.batch(statements)
        rememberCreatedTables()
        return results[deleteIndex].affectedRowCount
    }

    public func countOrphans() async throws -> Int {
        let schema = try await sourceSchema()
        guard try await tableExists(targetTable) else { return 0 }
        let ids = "SELECT \(quoteIdentifier(schema.idColumn)) FROM \(sourceSQL)"
        let result = try await client.execute(
            HranaStatement("SELECT count(*) FROM \(quoteIdentifier(targetTable)) WHERE id NOT IN (\(ids))"))
        return Int(result.rows.first?.first?.int ?? 0)
    }

    func insertRun(_ run: RunRecord) -> HranaStatement {
        HranaStatement(
            "INSERT OR IGNORE INTO embedsync_runs (id, target, started_at, status, provider, model, dimensions) "
                + "VALUES (?, ?, ?, 'running', ?, ?, ?)",
            [
                .text(run.id), .text(targetTable), .float(run.startedAt), .text(run.model.provider),
                .text(run.model.model), .integer(Int64(run.model.dimensions)),
            ], wantRows: false)
    }

    public func finishRun(_ run: RunRecord) async throws {
        var statements = createTableStatements(dimensions: run.model.dimensions)
        statements += [
            insertRun(run),
            HranaStatement(
                "UPDATE embedsync_runs SET finished_at = ?, status = ?, selected = ?, skipped = ?, pruned = ?, "
                    + "embedded = ?, failed = ?, tokens = ?, cost_usd = ?, requests = ? "
                    + "WHERE id = ? AND target = ?",
                [
                    run.finishedAt.map { .float($0) } ?? .null, .text(run.status), .integer(Int64(run.selected)),
                    .integer(Int64(run.skipped)), .integer(Int64(run.pruned)), .integer(Int64(run.embedded)),
                    .integer(Int64(run.failed)), .integer(Int64(run.tokens)), .float(run.costUSD),
                    .integer(Int64(run.requests)), .text(run.id), .text(targetTable),
                ], wantRows: false),
        ]
        _ = try await client.batch(statements)
        rememberCreatedTables()
    }

    public func lastRun() async throws -> RunRecord? {
        guard try await tableExists("embedsync_runs") else { return nil }
        let result = try await client.execute(
            HranaStatement(
                "SELECT id, started_at, finished_at, status, provider, model, dimensions, selected, embedded, failed, "
                    + "skipped, pruned, tokens, cost_usd, requests FROM embedsync_runs WHERE target = ? "
                    + "ORDER BY started_at DESC LIMIT 1", [.text(targetTable)]))
        guard let row = result.rows.first, let id = row[0].string else { return nil }
        let model = ModelIdentity(
            provider: row[4].string ?? "", model: row[5].string ?? "", dimensions: Int(row[6].int ?? 0))
        var run = RunRecord(id: id, startedAt: row[1].double ?? 0, model: model)
        run.finishedAt = row[2].double
        run.status = row[3].string ?? ""
        run.selected = Int(row[7].int ?? 0)
        run.embedded = Int(row[8].int ?? 0)
        run.failed = Int(row[9].int ?? 0)
        run.skipped = Int(row[10].int ?? 0)
        run.pruned = Int(row[11].int ?? 0)
        run.tokens = Int(row[12].int ?? 0)
        run.costUSD = row[13].double ?? 0
        run.requests = Int(row[14].int ?? 0)
        return run
    }

    public func failures(limit: Int) async throws -> [FailureRecord] {
        guard try await tableExists("embedsync_failures") else { return [] }
        let result = try await client.execute(
            HranaStatement(
                "SELECT row_id, error_class, message, attempts, runs, updated_at FROM embedsync_failures "
                    + "WHERE target = ? ORDER BY updated_at DESC, row_id LIMIT ?",
                [.text(targetTable), .integer(Int64(limit))]))
        return result.rows.compactMap { row in
            guard let id = LibSQLStore.rowID(row[0]) else { return nil }
            return FailureRecord(
                id: id, errorClass: row[1].string ?? "", message: row[2].string ?? "", attempts: Int(row[3].int ?? 0),
                runs: Int(row[4].int ?? 0), updatedAt: row[5].double ?? 0)
        }
    }

    /// Drops the target table (or clears the vector column) and deletes this target's runs, failures and claims.
    public func reset() async throws {
        var statements: [HranaStatement] = []
        if case .column(let column) = configuration.target, case .table(let table) = configuration.source {
            statements.append(
                HranaStatement(
                    "UPDATE \(quoteIdentifier(table)) SET \(quoteIdentifier(column)) = NULL", wantRows: false))
        }
        statements.append(HranaStatement(chunkSQL.drop, wantRows: false))
        statements.append(HranaStatement("DROP TABLE IF EXISTS \(quoteIdentifier(targetTable))", wantRows: false))
        for table in [
            "embedsync_failures", "embedsync_runs", LibSQLStore.claimsTable, BatchTables.requests, BatchTables.batches,
        ]
        where try await tableExists(table) {
            statements.append(HranaStatement("DELETE FROM \(table) WHERE target = ?", [.text(targetTable)]))
        }
        _ = try await client.batch(statements)
        forget([targetTable])
    }
}
