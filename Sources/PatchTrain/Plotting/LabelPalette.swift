/// One colour per class, shared by the slice overlays and the per-class curves so that a class looks the same in
/// both. Class 0 (background) is grey in curves and never painted over slices.
enum LabelPalette {
    static let colors: [RGB] = [
        RGB(hex: 0x7F7F7F), RGB(hex: 0xE41A1C), RGB(hex: 0x4DAF4A), RGB(hex: 0x377EB8), RGB(hex: 0xFF7F00),
        RGB(hex: 0x984EA3), RGB(hex: 0xF0E442), RGB(hex: 0xA65628), RGB(hex: 0xF781BF),
    ]

    static func color(of label: Int) -> RGB { label == 0 ? colors[0] : colors[1 + (label - 1) % (colors.count - 1)] }

    /// Opacity of a class's colour laid over the grey image.
    static let overlayAlpha = 0.5
}
