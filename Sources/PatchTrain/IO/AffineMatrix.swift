/// A 4×4 matrix taking voxel indices `(i, j, k, 1)` to world coordinates `(x, y, z, 1)` in millimetres,
/// stored row by row. patchtrain never resamples with it; it carries a volume's geometry from input to output.
public struct AffineMatrix: Equatable, Sendable, CustomStringConvertible {
    /// The 16 entries in row-major order.
    public var entries: [Double]

    public init(rows: [[Double]]) {
        precondition(rows.count == 4 && rows.allSatisfy { $0.count == 4 }, "an affine has 4 rows of 4")
        entries = rows.flatMap { $0 }
    }

    public static let identity = AffineMatrix(rows: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])

    public subscript(row: Int, column: Int) -> Double {
        get { entries[row * 4 + column] }
        set { entries[row * 4 + column] = newValue }
    }

    public var rows: [[Double]] { (0..<4).map { Array(entries[$0 * 4..<$0 * 4 + 4]) } }

    /// The world position of a voxel index.
    public func apply(_ i: Double, _ j: Double, _ k: Double) -> (x: Double, y: Double, z: Double) {
        let m = self
        return (m[0, 0] * i + m[0, 1] * j + m[0, 2] * k + m[0, 3],
                m[1, 0] * i + m[1, 1] * j + m[1, 2] * k + m[1, 3],
                m[2, 0] * i + m[2, 1] * j + m[2, 2] * k + m[2, 3])
    }

    /// Whether every entry is within `tolerance` of the other matrix's.
    public func isClose(to other: AffineMatrix, tolerance: Double = 1e-5) -> Bool {
        zip(entries, other.entries).allSatisfy { abs($0 - $1) <= tolerance }
    }

    public var description: String {
        rows.map { "[" + $0.map { String($0) }.joined(separator: ", ") + "]" }.joined(separator: "\n")
    }
}
