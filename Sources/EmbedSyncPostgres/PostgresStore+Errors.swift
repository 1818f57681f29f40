import EmbedSyncCore
import PostgresNIO

extension PostgresStore {
    /// Runs database work, mapping postgres-nio errors to ``EmbedSyncError`` with a value-free message.
    func database<T: Sendable>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as EmbedSyncError {
            throw error
        } catch {
            let reason = describe(error)
            throw EmbedSyncError(
                .database, "PostgreSQL \(what) failed on \(url): \(reason)",
                underlying: DatabaseFailure(sqlState: PostgresStore.sqlState(error), message: reason))
        }
    }

    /// A short description of a postgres-nio error: the server's message and SQLSTATE, never bound values, the
    /// password, or the server's DETAIL (which can quote a row's contents).
    func describe(_ error: any Error) -> String {
        redactor.redact(PostgresStore.describe(error))
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? EmbedSyncError { return error.message }
        if let error = error as? PSQLError {
            if let info = error.serverInfo {
                var text = info[.message] ?? "server error"
                if let hint = info[.hint] { text += " Hint: \(hint)" }
                if let state = info[.sqlState] { text += " [SQLSTATE \(state)]" }
                return text
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return String(describing: error)
    }

    /// The SQLSTATE of a server error, when it is one.
    static func sqlState(_ error: any Error) -> String? {
        if let error = error as? EmbedSyncError { return error.sqlState }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
