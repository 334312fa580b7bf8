/// The class legend under a class map: a swatch of each class's `ClassPalette` colour and its
/// name, laid out in as many columns as fit, row by row in class order; "no data" last when the
/// map has such pixels.
struct ClassLegend {
    /// Swatch side, entry width and row height.
    static let swatch = 12, entryWidth = 120, rowHeight = 18

    /// (name, colour) in drawing order.
    let entries: [(name: String, color: RGBA)]

    init(classNames: [String], palette: ClassPalette, showsNodata: Bool) {
        precondition(palette.colors.count >= classNames.count,
                     "ClassLegend: \(palette.colors.count) colours for \(classNames.count) classes")
        var entries = classNames.enumerated().map { (name: $0.element, color: palette.colors[$0.offset]) }
        if showsNodata { entries.append((name: "no data", color: palette.nodata)) }
        self.entries = entries
    }

    /// Entries per row in `width` pixels (at least one).
    static func columns(width: Int) -> Int { max(1, width / entryWidth) }

    /// Height of the legend in `width` pixels.
    func height(width: Int) -> Int {
        let columns = Self.columns(width: width)
        return (entries.count + columns - 1) / columns * Self.rowHeight
    }

    /// The swatch rectangle of each entry when the legend's top-left corner is (`x`, `y`).
    func swatches(x: Int, y: Int, width: Int) -> [FigureRect] {
        let columns = Self.columns(width: width)
        return entries.indices.map { k in
            FigureRect(x: x + k % columns * Self.entryWidth, y: y + k / columns * Self.rowHeight + 3,
                       width: Self.swatch, height: Self.swatch)
        }
    }

    /// Draws the swatches (outlined in grey, so white and black classes show) and names.
    func draw(on canvas: Canvas, x: Int, y: Int, width: Int) {
        for (entry, box) in zip(entries, swatches(x: x, y: y, width: width)) {
            canvas.fill(x: Double(box.x), y: Double(box.y), width: Double(box.width), height: Double(box.height), color: entry.color)
            canvas.frame(x: Double(box.x), y: Double(box.y), width: Double(box.width), height: Double(box.height),
                         color: RGBA(0x80, 0x80, 0x80))
            let room = Double(Self.entryWidth - Self.swatch - 10)
            canvas.text(canvas.fitting(entry.name, width: room, size: 10), x: Double(box.right + 5), y: Double(box.y + 10), size: 10)
        }
    }
}
