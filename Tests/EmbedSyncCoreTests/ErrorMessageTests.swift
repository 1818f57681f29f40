import EmbedSyncCore
import Testing

@Suite("error messages name parameters, not flags")
struct ErrorMessageTests {
    @Test("a library caller reads configuration keys; another reader names them its own way")
    func rendering() {
        let error = EmbedSyncError(.usage, "No column 'x' for \(.targetColumn). Pass \(.targetTable) NAME.")
        #expect(error.message == "No column 'x' for target.column. Pass target.table NAME.")
        #expect(
            error.message(naming: { "--" + $0.rawValue.uppercased() })
                == "No column 'x' for --TARGET.COLUMN. Pass --TARGET.TABLE NAME.")
        #expect(error.text.parameters == [.targetColumn, .targetTable])
    }

    @Test("wrapping a message keeps the parameters it names")
    func nesting() {
        let inner = ProviderError(.fatal, "Check \(.baseURL).", statusCode: 404)
        let outer = EmbedSyncError(.provider, "Cannot embed the query: \(inner.detail)")
        #expect(outer.message == "Cannot embed the query: HTTP 404: Check embedding.base_url.")
        #expect(outer.text.parameters == [.baseURL])
    }

    @Test("plain strings stay as they are")
    func plain() {
        let text = "a message with --dashes kept as written"
        #expect(EmbedSyncError(.usage, ErrorMessage(text)).message == text)
        #expect(EmbedSyncError(.usage, ErrorMessage(text)).text.parameters.isEmpty)
    }

    @Test("no core message spells a flag", arguments: ["5-1", "", "1,,2", "3-x"])
    func idSelection(_ input: String) {
        do {
            _ = try IDSelection(parsing: input)
            Issue.record("expected '\(input)' to be refused")
        } catch let error as EmbedSyncError {
            #expect(error.text.parameters == [.ids])
            #expect(!error.message.contains("--"), "\(error.message)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
