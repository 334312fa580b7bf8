public import Foundation

/// `index.html` of a runs folder: one self-contained page listing every evaluation and training
/// run, with a filter box (any text of a row), a kind filter, and columns sorted by a click.
public enum RunsIndexPage {
    /// The page for `entries` (shown newest first) found under `folder`.
    public static func render(entries: [RunsIndexEntry], folder: String, generated: Date = Date()) -> String {
        let sorted = entries.sorted { ($0.date, $0.name) > ($1.date, $1.name) }
        let evals = entries.filter { $0.kind == .eval }.count
        let stamp = ISO8601DateFormatter().string(from: generated)
        var page = HTMLPage(title: "GeoLens runs: \((folder as NSString).lastPathComponent)",
                            subtitle: "\(evals) evaluation and \(entries.count - evals) training run(s) under \(folder) · indexed \(stamp)")
        let controls = """
            <p class="note"><label>Filter <input id="filter" type="search" placeholder="model, data, run, sha256 ..." size="40"/></label>
            <label>Kind <select id="kind"><option value="">all</option><option value="eval">eval</option><option value="train">train</option></select></label>
            <span id="shown"></span></p>
            """
        let header = ["Kind", "Run", "Model", "SHA-256", "Data", "Date", "mIoU [95% CI]", "Accuracy [95% CI]", "Tiles / epochs", "Links"]
            .enumerated().map { i, title in "<th class=\"\(i < 6 || i == 9 ? "name" : "")\">\(HTML.escape(title))</th>" }.joined()
        let rows = sorted.map(row).joined(separator: "\n")
        let empty = entries.isEmpty ? "<p class=\"note\">No evaluation or training runs were found under this folder.</p>" : ""
        page.section("Runs", id: "runs", """
            \(controls)
            <table class="sortable" id="runs-table"><thead><tr>\(header)</tr></thead>
            <tbody>
            \(rows)
            </tbody></table>
            \(empty)
            <p class="note">Evaluation rows give the headline metrics of metrics.json with their 95 % tile-bootstrap intervals;
            training rows give the validation mIoU and accuracy of the best epoch. Click a column header to sort;
            the filter keeps rows whose text holds every word typed (index.html#q=WORDS;kind=eval opens it filtered).</p>
            """)
        page.script = filterScript
        return page.render()
    }

    private static func row(_ entry: RunsIndexEntry) -> String {
        func cell(_ text: String, sort: String? = nil, title: String? = nil, name: Bool = true, raw: Bool = false) -> String {
            var attributes = name ? " class=\"name\"" : ""
            if let sort { attributes += " data-v=\"\(HTML.escape(sort))\"" }
            if let title { attributes += " title=\"\(HTML.escape(title))\"" }
            return "<td\(attributes)>\(raw ? text : HTML.escape(text))</td>"
        }
        func metric(_ m: RunsIndexEntry.Metric) -> String {
            cell(HTML.withInterval(m.value, m.low, m.high), sort: m.value.map { String($0) } ?? "-1", name: false, raw: true)
        }
        let report = entry.links.first.map { "<a href=\"\(HTML.escape($0.href))\">\(HTML.escape(entry.name))</a>" } ?? HTML.escape(entry.name)
        let links = entry.links.map { "<a href=\"\(HTML.escape($0.href))\">\(HTML.escape($0.label))</a>" }.joined(separator: " · ")
        let short = entry.sha256.map { String($0.prefix(12)) } ?? "—"
        return "<tr data-kind=\"\(entry.kind.rawValue)\">" + [
            cell(entry.kind.rawValue),
            cell(report, sort: entry.name, raw: true),
            cell(entry.model, title: entry.modelPath),
            "<td class=\"name\" title=\"\(HTML.escape(entry.sha256 ?? ""))\"><code>\(HTML.escape(short))</code><span hidden=\"hidden\">\(HTML.escape(entry.sha256 ?? ""))</span></td>",
            cell(entry.data),
            cell(entry.date),
            metric(entry.miou),
            metric(entry.accuracy),
            cell(entry.extent, sort: String(entry.extentValue), name: false),
            cell(links, raw: true),
        ].joined() + "</tr>"
    }

    /// Keeps the rows whose text holds every word of the filter box and whose kind matches; a
    /// link such as `index.html#q=unet;kind=eval` opens the page filtered. Written without `<`
    /// or `&` so the page stays well-formed XML.
    static let filterScript = """

    (function () {
      var box = document.getElementById('filter'), kind = document.getElementById('kind');
      var rows = Array.prototype.slice.call(document.querySelectorAll('#runs-table tbody tr'));
      var shown = document.getElementById('shown');
      function apply() {
        var words = box.value.toLowerCase().split(/\\s+/).filter(function (w) { return w.length; });
        var wanted = kind.value, count = 0;
        rows.forEach(function (row) {
          var text = row.textContent.toLowerCase();
          var ok = words.every(function (w) { return text.indexOf(w) !== -1; });
          if (wanted) { ok = ok ? row.getAttribute('data-kind') === wanted : false; }
          row.style.display = ok ? '' : 'none';
          if (ok) { count += 1; }
        });
        shown.textContent = count + ' of ' + rows.length + ' runs shown';
      }
      var hash = decodeURIComponent(location.hash.replace(/^#/, ''));
      hash.split(';').forEach(function (part) {
        if (part.indexOf('q=') === 0) { box.value = part.slice(2); }
        if (part.indexOf('kind=') === 0) { kind.value = part.slice(5); }
      });
      box.addEventListener('input', apply);
      kind.addEventListener('change', apply);
      apply();
    })();
    """
}
