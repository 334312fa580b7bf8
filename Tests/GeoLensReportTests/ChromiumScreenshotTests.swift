import Foundation
import GeoLensReport
import Testing

/// Renders report.html and comparison.html with headless Chromium and checks the screenshots
/// are not blank. Runs only when a `chromium` (or `chromium-browser`, or `$CHROMIUM`) binary is
/// installed; otherwise the test is skipped. Set GEOLENS_SCREENSHOT_DIR to keep the pages and
/// screenshots for a look (docs/reports.md).
@Suite("Reports in headless Chromium")
struct ChromiumScreenshotTests {
    static let browser: String? = {
        var candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        if let custom = ProcessInfo.processInfo.environment["CHROMIUM"] { candidates.insert(custom, at: 0) }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    @Test("report.html and comparison.html render to non-blank screenshots", .enabled(if: browser != nil))
    func screenshots() throws {
        let keep = ProcessInfo.processInfo.environment["GEOLENS_SCREENSHOT_DIR"].map { URL(fileURLWithPath: $0) }
        let directory = keep ?? FileManager.default.temporaryDirectory.appendingPathComponent("shots-\(UUID().uuidString)")
        defer { if keep == nil { try? FileManager.default.removeItem(at: directory) } }
        let run = try ReportHTMLTests.runReport().write(to: directory, images: .embedded)
        try ReportHTMLTests.comparison().write(to: directory)
        for page in [run, directory.appendingPathComponent("comparison.html")] {
            let shot = directory.appendingPathComponent(page.deletingPathExtension().lastPathComponent + ".png")
            try Self.screenshot(page, to: shot)
            let image = try PNGReader.read(shot)
            #expect(image.width == 1280)
            var colors = Set<RGBA>()
            for y in stride(from: 0, to: image.height, by: 3) {
                for x in stride(from: 0, to: image.width, by: 3) { colors.insert(image.color(x: x, y: y)) }
            }
            // A blank or error page has a handful of colours; a report has charts and thumbnails.
            #expect(colors.count > 40, "\(shot.path) has only \(colors.count) colours")
            // The header band is dark blue (#12355b).
            #expect(image.color(x: 640, y: 10) == RGBA(0x12, 0x35, 0x5b))
        }
    }

    /// `chromium --headless --screenshot` of a local file at 1280 x 2400.
    static func screenshot(_ page: URL, to png: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                             "--user-data-dir=" + FileManager.default.temporaryDirectory.appendingPathComponent("geolens-chromium-\(UUID().uuidString)").path,
                             "--window-size=1280,2400", "--screenshot=" + png.path, page.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "chromium exited with \(process.terminationStatus) for \(page.path)")
    }
}
