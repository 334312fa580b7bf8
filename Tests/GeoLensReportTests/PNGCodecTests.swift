import Foundation
import GeoLensReport
import Testing

@Suite("PNG writing and reading through libpng")
struct PNGCodecTests {
    @Test("RGB, RGBA and grey images decode to the same size and pixels")
    func roundTrip() throws {
        let rgb = PNGImage(width: 3, height: 2, layout: .rgb, pixels: (0..<18).map { UInt8($0 * 10) })
        let back = try PNGReader.decode(PNGWriter.encode(rgb))
        #expect(back.width == 3 && back.height == 2 && back.layout == .rgb)
        #expect(back.pixels == rgb.pixels)
        #expect(back.color(x: 2, y: 1) == RGBA(150, 160, 170))

        let rgba = PNGImage(width: 2, height: 2, layout: .rgba, pixels: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
        #expect(try PNGReader.decode(PNGWriter.encode(rgba)).pixels == rgba.pixels)

        let gray = PNGImage(width: 4, height: 1, layout: .gray, pixels: [0, 85, 170, 255])
        let grayBack = try PNGReader.decode(PNGWriter.encode(gray))
        #expect(grayBack.layout == .gray && grayBack.pixels == gray.pixels)
    }

    @Test("Palette images keep their colours")
    func palette() throws {
        let colors = [RGBA(255, 0, 0), RGBA(0, 255, 0), RGBA(0, 0, 255)]
        let image = PNGImage(width: 3, height: 1, layout: .palette(colors), pixels: [2, 1, 0])
        let data = try PNGWriter.encode(image)
        // Byte 25 of a PNG is the IHDR colour type; 3 means indexed colour.
        #expect(data[25] == 3)
        let back = try PNGReader.decode(data)
        #expect(back.color(x: 0, y: 0) == RGBA(0, 0, 255))
        #expect(back.color(x: 2, y: 0) == RGBA(255, 0, 0))
    }

    @Test("Writing to a file is atomic and readable; garbage fails with a message")
    func fileAndErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("png-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("a.png")
        try PNGWriter.write(PNGImage(width: 5, height: 7, filledWith: RGBA(9, 8, 7)), to: url)
        let back = try PNGReader.read(url)
        #expect(back.width == 5 && back.height == 7 && back.color(x: 4, y: 6) == RGBA(9, 8, 7))
        let error = #expect(throws: PNGError.self) { try PNGReader.decode(Data("not a png".utf8), source: "junk.png") }
        #expect(error?.message.contains("junk.png") == true)
    }

    /// A PNG of an IHDR declaring `width` x `height` 8-bit RGBA pixels, one tiny IDAT and IEND.
    static func header(width: UInt32, height: UInt32) -> Data {
        func crc(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            }
            return c ^ 0xFFFF_FFFF
        }
        func be(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8((v >> $0) & 0xFF) } }
        func chunk(_ kind: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(kind.utf8) + body
            return be(UInt32(body.count)) + typed + be(crc(typed))
        }
        let ihdr = be(width) + be(height) + [8, 6, 0, 0, 0]
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", []))
    }

    @Test("Header dimensions beyond the memory budget or the file's size fail before allocating")
    func oversizedHeaders() throws {
        // 10^6 x 10^6 RGBA would ask for 4 TB; 12,000 x 12,000 (576 MB) cannot come from 70 bytes.
        let huge = #expect(throws: PNGError.self) {
            try PNGReader.decode(Self.header(width: 1_000_000, height: 1_000_000), source: "huge.png")
        }
        #expect(huge?.message.contains("huge.png: its header declares 1000000 x 1000000 pixels, more than the 268435456") == true)
        let bomb = #expect(throws: PNGError.self) {
            try PNGReader.decode(Self.header(width: 12_000, height: 12_000), source: "bomb.png")
        }
        #expect(bomb?.message.contains("bomb.png: its header declares 12000 x 12000 pixels, more than its") == true)
        #expect(bomb?.message.contains("bytes can hold") == true)
    }
}
