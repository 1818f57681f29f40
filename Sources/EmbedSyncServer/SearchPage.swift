import Crypto
import Foundation
import Hummingbird

/// The page at `/`: one self-contained HTML file (no CDN) whose only script is allowed by its hash in a strict CSP.
enum SearchPage {
    static let script = """
        const $ = (id) => document.getElementById(id);
        const auth = document.body.dataset.auth === "1";
        if (auth) { $("tokenRow").hidden = false; $("token").value = sessionStorage.getItem("embedsyncToken") || ""; }
        function headers() {
          const h = {"Content-Type": "application/json"};
          const t = $("token").value.trim();
          if (auth && t) { sessionStorage.setItem("embedsyncToken", t); h["Authorization"] = "Bearer " + t; }
          return h;
        }
        function body() {
          const b = {query: $("query").value, k: Number($("k").value) || 10};
          if ($("minScore").value !== "") b.min_score = Number($("minScore").value);
          const col = $("column").value.trim();
          if (col) b.where = {[col]: $("value").value};
          return b;
        }
        function show(error) { $("error").textContent = error; $("error").hidden = !error; }
        async function loadStatus() {
          try {
            const r = await fetch("v1/status", {headers: headers()});
            const s = await r.json();
            if (!r.ok) { $("status").textContent = (s.error && s.error.message) || r.status; return; }
            $("status").textContent = s.model + " · " + s.dimensions + " dims · " + s.embedded + " embedded, " +
              s.missing + " missing, " + s.stale + " stale, " + s.failed + " failed of " + s.rows_total + " rows" +
              (s.last_run ? " · last run cost $" + s.last_run.cost_usd : "");
          } catch (e) { $("status").textContent = "status unavailable: " + e; }
        }
        async function search(event) {
          event.preventDefault();
          show("");
          const started = performance.now();
          try {
            const r = await fetch("v1/search", {method: "POST", headers: headers(), body: JSON.stringify(body())});
            const data = await r.json();
            $("latency").textContent = Math.round(performance.now() - started) + " ms in the browser" +
              (data.took_ms !== undefined ? ", " + data.took_ms + " ms on the server" : "");
            if (!r.ok) { show(r.status + ": " + ((data.error && data.error.message) || "error")); return; }
            const rows = $("results");
            rows.replaceChildren();
            for (const hit of data.data) {
              const tr = document.createElement("tr");
              for (const v of [hit.rank, hit.score.toFixed(3), String(hit.id), hit.text || ""]) {
                const td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
              }
              rows.appendChild(tr);
            }
            if (!data.data.length) show("No results.");
            if (auth) loadStatus();
          } catch (e) { show("Request failed: " + e); }
        }
        function copyCurl() {
          const auth2 = auth ? " -H 'Authorization: Bearer $EMBEDSYNC_SERVE_TOKEN'" : "";
          const json = JSON.stringify(body()).replace(/'/g, "'\\\\''");
          const text = "curl -s " + location.origin + "/v1/search -H 'Content-Type: application/json'" + auth2 +
            " -d '" + json + "'";
          navigator.clipboard.writeText(text).then(() => show(""), () => show(text));
        }
        $("form").addEventListener("submit", search);
        $("copy").addEventListener("click", copyCurl);
        loadStatus();
        """

    static let style = """
        body{font:15px system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
        [hidden]{display:none!important}
        form{display:flex;flex-wrap:wrap;gap:.5em;align-items:end}
        label{display:flex;flex-direction:column;font-size:12px}
        input{font:inherit;padding:.3em}#query{min-width:22em}table{border-collapse:collapse;width:100%;margin-top:1em}
        td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;vertical-align:top}
        td:last-child{white-space:pre-wrap}
        #error{color:#a00;margin-top:1em}#status,#latency{color:#555;font-size:13px}
        """

    static func html(auth: Bool) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>EmbedSync search</title>
        <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
        <style>\(style)</style></head>
        <body data-auth="\(auth ? "1" : "0")">
        <h1>EmbedSync search</h1>
        <p id="status">loading…</p>
        <form id="form">
        <label>Query<input id="query" name="query" required autofocus></label>
        <label>k<input id="k" type="number" min="1" max="100" value="10" size="4"></label>
        <label>Min score<input id="minScore" type="number" step="0.01" min="-1" max="1" size="6"></label>
        <label>Column<input id="column" placeholder="optional" size="10"></label>
        <label>equals<input id="value" size="12"></label>
        <label id="tokenRow" hidden>Token<input id="token" type="password" size="16"></label>
        <button type="submit" id="go">Search</button><button type="button" id="copy">Copy as curl</button>
        </form>
        <p id="latency"></p><p id="error" hidden></p>
        <table><thead><tr><th>#</th><th>Score</th><th>Id</th><th>Text</th></tr></thead><tbody id="results"></tbody>
        </table>
        <script>\(script)</script>
        </body></html>
        """
    }

    static let contentSecurityPolicy: String = {
        func hash(_ text: String) -> String { Data(SHA256.hash(data: Data(text.utf8))).base64EncodedString() }
        return "default-src 'none'; script-src 'sha256-\(hash(script))'; style-src 'sha256-\(hash(style))'; "
            + "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }()

    static func response(auth: Bool) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .contentSecurityPolicy: contentSecurityPolicy,
                .xContentTypeOptions: "nosniff", .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(string: html(auth: auth))))
    }
}
