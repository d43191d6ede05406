import Foundation
import GraftIO
import XCTest

/// What the download reporter writes on a terminal (a redrawn bar) and elsewhere (plain lines).
final class DownloadProgressTests: XCTestCase {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var parts: [String] = []
        func add(_ text: String) { lock.withLock { parts.append(text) } }
        var text: String { lock.withLock { parts.joined() } }
    }

    func testTerminalBarIsRedrawnInPlace() {
        let lines = Lines()
        let progress = DownloadProgress(terminal: true, write: lines.add)
        progress.begin(file: "model.safetensors", total: 2_000_000, resumedFrom: 0)
        progress.update(received: 500_000)
        progress.end()
        let text = lines.text
        XCTAssertTrue(text.hasPrefix("\r\u{1B}[Kmodel.safetensors "), text)
        XCTAssertTrue(text.contains(" 25% 500.0 kB/2.0 MB"), text)
        XCTAssertTrue(text.contains("100% 2.0 MB/2.0 MB"), text)
        XCTAssertTrue(text.hasSuffix("\n"), text)
    }

    func testPlainLinesOffATerminal() {
        let lines = Lines()
        let progress = DownloadProgress(terminal: false, write: lines.add)
        progress.begin(file: "config.json", total: 715, resumedFrom: 0)
        progress.update(received: 300)
        progress.end()
        progress.begin(file: "model.safetensors", total: 96488, resumedFrom: 48244)
        progress.end()
        XCTAssertEqual(lines.text, "downloading config.json (715 B)\ndownloaded config.json\n"
            + "downloading model.safetensors (96.5 kB, resuming at 48.2 kB)\ndownloaded model.safetensors\n")
    }
}
