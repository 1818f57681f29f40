import Foundation

/// One SQL statement with its positional arguments.
public struct HranaStatement: Sendable, Encodable {
    public var sql: String
    public var args: [HranaValue]
    public var wantRows: Bool

    public init(_ sql: String, _ args: [HranaValue] = [], wantRows: Bool = true) {
        self.sql = sql
        self.args = args
        self.wantRows = wantRows
    }

    enum CodingKeys: String, CodingKey {
        case sql, args
        case wantRows = "want_rows"
    }
}

/// When a batch step runs: after another step succeeded or failed, or a combination.
public indirect enum HranaCondition: Sendable, Encodable {
    case ok(Int)
    case error(Int)
    case not(HranaCondition)
    case and([HranaCondition])

    enum Keys: String, CodingKey {
        case type, step, cond, conds
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .ok(let step):
            try container.encode("ok", forKey: .type)
            try container.encode(step, forKey: .step)
        case .error(let step):
            try container.encode("error", forKey: .type)
            try container.encode(step, forKey: .step)
        case .not(let condition):
            try container.encode("not", forKey: .type)
            try container.encode(condition, forKey: .cond)
        case .and(let conditions):
            try container.encode("and", forKey: .type)
            try container.encode(conditions, forKey: .conds)
        }
    }
}

/// A step of a batch.
public struct HranaBatchStep: Sendable, Encodable {
    public var condition: HranaCondition?
    public var stmt: HranaStatement

    public init(_ stmt: HranaStatement, when condition: HranaCondition? = nil) {
        self.stmt = stmt
        self.condition = condition
    }
}

/// A request on a stream.
public enum HranaRequest: Sendable, Encodable {
    case execute(HranaStatement)
    case batch([HranaBatchStep])
    case describe(String)
    case close

    enum Keys: String, CodingKey {
        case type, stmt, batch, sql
    }

    struct Steps: Encodable {
        var steps: [HranaBatchStep]
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        switch self {
        case .execute(let stmt):
            try container.encode("execute", forKey: .type)
            try container.encode(stmt, forKey: .stmt)
        case .batch(let steps):
            try container.encode("batch", forKey: .type)
            try container.encode(Steps(steps: steps), forKey: .batch)
        case .describe(let sql):
            try container.encode("describe", forKey: .type)
            try container.encode(sql, forKey: .sql)
        case .close:
            try container.encode("close", forKey: .type)
        }
    }
}

struct HranaPipelineRequest: Encodable {
    var baton: String?
    var requests: [HranaRequest]
}

/// An error the server reported for one request or one batch step.
public struct HranaServerError: Error, Sendable, Decodable, CustomStringConvertible {
    public var message: String
    public var code: String?

    public var description: String { code.map { "\(message) (\($0))" } ?? message }
}

/// The rows and counts of one statement.
public struct HranaResult: Sendable, Decodable {
    public struct Column: Sendable, Decodable {
        public var name: String?
        public var decltype: String?
    }

    public var cols: [Column]
    public var rows: [[HranaValue]]
    public var affectedRowCount: Int

    enum CodingKeys: String, CodingKey {
        case cols, rows
        case affectedRowCount = "affected_row_count"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        cols = try container.decodeIfPresent([Column].self, forKey: .cols) ?? []
        rows = try container.decodeIfPresent([[HranaValue]].self, forKey: .rows) ?? []
        affectedRowCount = try container.decodeIfPresent(Int.self, forKey: .affectedRowCount) ?? 0
    }

    /// The column names, in order.
    public var columnNames: [String] { cols.map { $0.name ?? "" } }
}

/// What the server answered to one request.
enum HranaResponse: Sendable, Decodable {
    case execute(HranaResult)
    case batch(results: [HranaResult?], errors: [HranaServerError?])
    case describe(isReadonly: Bool, columns: [String])
    case other

    enum Keys: String, CodingKey {
        case type, result
    }

    struct BatchBody: Decodable {
        var step_results: [HranaResult?]
        var step_errors: [HranaServerError?]
    }

    struct DescribeBody: Decodable {
        struct Column: Decodable { var name: String? }
        var is_readonly: Bool?
        var cols: [Column]?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        switch try container.decode(String.self, forKey: .type) {
        case "execute":
            self = .execute(try container.decode(HranaResult.self, forKey: .result))
        case "batch":
            let body = try container.decode(BatchBody.self, forKey: .result)
            self = .batch(results: body.step_results, errors: body.step_errors)
        case "describe":
            let body = try container.decode(DescribeBody.self, forKey: .result)
            self = .describe(isReadonly: body.is_readonly ?? false, columns: (body.cols ?? []).map { $0.name ?? "" })
        default:
            self = .other
        }
    }
}

/// One request's outcome: a response or an error (the server runs every request even after one fails).
enum HranaOutcome: Sendable, Decodable {
    case ok(HranaResponse)
    case error(HranaServerError)

    enum Keys: String, CodingKey {
        case type, response, error
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if try container.decode(String.self, forKey: .type) == "error" {
            self = .error(try container.decode(HranaServerError.self, forKey: .error))
        } else {
            self = .ok(try container.decode(HranaResponse.self, forKey: .response))
        }
    }
}

struct HranaPipelineResponse: Decodable {
    var baton: String?
    var base_url: String?
    var results: [HranaOutcome]
}
