/// The voxel-to-world affine of a NIfTI-1 header, by the standard's three methods in its order of preference:
/// the sform (a general affine) when `sform_code > 0`, else the qform (rotation quaternion, voxel sizes and
/// offset) when `qform_code > 0`, else a plain scaling by the voxel sizes.
extension NIfTIHeader {
    public var affine: AffineMatrix {
        if sformCode > 0 { return sformAffine }
        if qformCode > 0 { return qformAffine }
        return AffineMatrix(rows: [
            [Double(pixdim[1]), 0, 0, 0],
            [0, Double(pixdim[2]), 0, 0],
            [0, 0, Double(pixdim[3]), 0],
            [0, 0, 0, 1],
        ])
    }

    /// The sform rows as a matrix (meaningful when `sformCode > 0`).
    public var sformAffine: AffineMatrix {
        AffineMatrix(rows: [srowX.map(Double.init), srowY.map(Double.init), srowZ.map(Double.init), [0, 0, 0, 1]])
    }

    /// The qform as a matrix (meaningful when `qformCode > 0`): R · diag(dx, dy, qfac·dz) plus the offset,
    /// where R is the rotation of the unit quaternion (a, b, c, d) and a = √(1 − b² − c² − d²).
    public var qformAffine: AffineMatrix {
        var b = Double(quaternB), c = Double(quaternC), d = Double(quaternD)
        let a: Double
        let bcd = b * b + c * c + d * d
        if bcd >= 1 {
            // Float32 rounding can push b² + c² + d² just past 1; that is a 180° rotation (a = 0),
            // so renormalise (b, c, d) rather than take the square root of a negative number.
            let norm = bcd.squareRoot()
            (b, c, d) = norm > 0 ? (b / norm, c / norm, d / norm) : (0, 0, 0)
            a = norm > 0 ? 0 : 1
        } else {
            a = (1 - bcd).squareRoot()
        }
        // Voxel sizes are magnitudes; a zero size (an unset pixdim) is taken as 1 so the matrix stays invertible.
        func size(_ value: Float) -> Double { value == 0 ? 1 : Double(abs(value)) }
        let qfac: Double = pixdim[0] < 0 ? -1 : 1
        let (dx, dy, dz) = (size(pixdim[1]), size(pixdim[2]), qfac * size(pixdim[3]))
        let r = [
            [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
            [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
            [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
        ]
        let offset = [Double(qoffsetX), Double(qoffsetY), Double(qoffsetZ)]
        return AffineMatrix(rows: (0..<3).map { row in
            [r[row][0] * dx, r[row][1] * dy, r[row][2] * dz, offset[row]]
        } + [[0, 0, 0, 1]])
    }

    /// Sets the sform to `affine` (its last row is ignored) with the given code (2: aligned to another scan),
    /// leaving the qform as it is. For volumes whose geometry comes from outside a NIfTI header.
    public mutating func setSform(_ affine: AffineMatrix, code: Int = 2) {
        sformCode = code
        srowX = (0..<4).map { Float(affine[0, $0]) }
        srowY = (0..<4).map { Float(affine[1, $0]) }
        srowZ = (0..<4).map { Float(affine[2, $0]) }
    }

    /// Copies the geometry of `source` — voxel sizes, units, qform and sform with their codes — so a volume
    /// written with this header lies exactly where the source's voxels lie.
    public mutating func copyGeometry(from source: NIfTIHeader) {
        for i in 0...3 { pixdim[i] = source.pixdim[i] }
        xyztUnits = source.xyztUnits
        dimInfo = source.dimInfo
        qformCode = source.qformCode
        sformCode = source.sformCode
        let quaternion: [WritableKeyPath<NIfTIHeader, Float>] = [\.quaternB, \.quaternC, \.quaternD, \.qoffsetX, \.qoffsetY, \.qoffsetZ]
        for field in quaternion { self[keyPath: field] = source[keyPath: field] }
        let sform: [WritableKeyPath<NIfTIHeader, [Float]>] = [\.srowX, \.srowY, \.srowZ]
        for field in sform { self[keyPath: field] = source[keyPath: field] }
    }
}
