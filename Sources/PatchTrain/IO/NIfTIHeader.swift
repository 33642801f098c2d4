/// The 348-byte header of a NIfTI-1 file, with the fields patchtrain reads, keeps and writes.
///
/// The byte order of a file is whatever machine wrote it; the standard gives no flag, so it is detected from
/// `sizeof_hdr`, which must read 348 one way or the other. Only single files (`n+1`, image data after the
/// header in the same file) are read; `.hdr`/`.img` pairs (`ni1`) are refused.
public struct NIfTIHeader: Equatable, Sendable {
    /// `dim[0]` is the number of dimensions in use, `dim[1...dim[0]]` their sizes; always 8 entries.
    public var dim: [Int]
    /// The on-disk `datatype` code (see `ElementType(niftiCode:)`).
    public var datatypeCode: Int
    /// Bits per element, as the file states it (not enforced: some writers get it wrong, `datatype` decides).
    public var bitpix: Int
    /// Byte offset of the image data in the file.
    public var voxOffset: Int
    /// Stored value × slope + intercept gives the real value; a slope of 0 or NaN means unscaled.
    public var sclSlope: Float
    public var sclInter: Float
    /// `pixdim[0]` is qfac (the sign of the qform's third axis), `pixdim[1...3]` the voxel size; 8 entries.
    public var pixdim: [Float]
    /// Units of pixdim (spatial in the low 3 bits, time in the next 3).
    public var xyztUnits: UInt8
    /// Which of freq/phase/slice encoding lies on which axis (kept so written files say the same).
    public var dimInfo: UInt8
    public var qformCode: Int
    public var sformCode: Int
    /// The qform rotation as a unit quaternion (b, c, d; a is implied) and its offset.
    public var quaternB: Float
    public var quaternC: Float
    public var quaternD: Float
    public var qoffsetX: Float
    public var qoffsetY: Float
    public var qoffsetZ: Float
    /// The sform affine's first three rows; 4 entries each.
    public var srowX: [Float]
    public var srowY: [Float]
    public var srowZ: [Float]
    /// Free text (`descrip`, at most 79 bytes).
    public var descrip: String
    /// Whether the file was written big-endian (its data must then be byte-swapped on read).
    public var isBigEndian: Bool

    /// The size of the header proper, and of a single-file header with its 4-byte extension flag.
    public static let headerSize = 348
    public static let singleFileDataOffset = 352

    /// The element type of the data; nil only for a header built with an unsupported code by hand.
    public var elementType: ElementType? { ElementType(niftiCode: datatypeCode) }

    /// A little-endian single-file header for a new volume: unit voxels, no orientation codes, no scaling.
    public init(shape: VolumeShape, elementType: ElementType) {
        precondition(elementType.niftiCode != nil, "NIfTI-1 cannot store \(elementType)")
        var dim = [3, shape.x, shape.y, shape.z, 1, 1, 1, 1]
        if shape.channels > 1 {
            dim[0] = 4
            dim[4] = shape.channels
        }
        self.dim = dim
        datatypeCode = elementType.niftiCode!
        bitpix = elementType.byteSize * 8
        voxOffset = NIfTIHeader.singleFileDataOffset
        sclSlope = 0
        sclInter = 0
        pixdim = [1, 1, 1, 1, 1, 1, 1, 1]
        xyztUnits = 0
        dimInfo = 0
        qformCode = 0
        sformCode = 0
        quaternB = 0
        quaternC = 0
        quaternD = 0
        qoffsetX = 0
        qoffsetY = 0
        qoffsetZ = 0
        srowX = [1, 0, 0, 0]
        srowY = [0, 1, 0, 0]
        srowZ = [0, 0, 1, 0]
        descrip = ""
        isBigEndian = false
    }

    /// Parses the header at the start of `bytes`; `file` names the file in errors.
    public init(parsing bytes: UnsafeRawBufferPointer, file: String) throws {
        guard bytes.count >= NIfTIHeader.headerSize else {
            throw InputError(file, "not a NIfTI-1 file (\(bytes.count) bytes, shorter than a header)")
        }
        let littleSize = Int(Int32(littleEndian: bytes.loadUnaligned(as: Int32.self)))
        let bigSize = Int(Int32(bigEndian: bytes.loadUnaligned(as: Int32.self)))
        let bigEndian: Bool
        if littleSize == NIfTIHeader.headerSize {
            bigEndian = false
        } else if bigSize == NIfTIHeader.headerSize {
            bigEndian = true
        } else {
            throw InputError(file, "bad NIfTI header size \(littleSize) (expected 348)")
        }
        let fields = HeaderFields(bytes: bytes, bigEndian: bigEndian)

        let magic = Array(bytes[344..<348])
        if magic == Array("ni1\0".utf8) {
            throw InputError(file, "NIfTI-1 header/image pair (magic 'ni1') is not supported; save it as a single .nii file")
        }
        guard magic == Array("n+1\0".utf8) else {
            throw InputError(file, "not a NIfTI-1 file (magic is not 'n+1')")
        }

        dim = (0..<8).map { Int(fields.int16(40 + 2 * $0)) }
        guard (1...7).contains(dim[0]) else { throw InputError(file, "bad NIfTI dim[0] \(dim[0]) (expected 1 to 7)") }
        for axis in 1...dim[0] where dim[axis] < 1 {
            throw InputError(file, "empty image (dim[\(axis)] is \(dim[axis]))")
        }

        datatypeCode = Int(fields.int16(70))
        guard ElementType(niftiCode: datatypeCode) != nil else {
            throw InputError(file, "unsupported NIfTI datatype \(ElementType.niftiName(code: datatypeCode)) (supported: uint8 int8 uint16 int16 uint32 int32 int64 float32 float64)")
        }
        bitpix = Int(fields.int16(72))
        pixdim = (0..<8).map { fields.float32(76 + 4 * $0) }

        let offset = fields.float32(108)
        guard offset.isFinite, offset >= Float(NIfTIHeader.headerSize), offset == offset.rounded(), offset < 0x1p31 else {
            throw InputError(file, "bad NIfTI vox_offset \(offset) (a single .nii file stores its data after the 348-byte header)")
        }
        voxOffset = Int(offset)
        sclSlope = fields.float32(112)
        sclInter = fields.float32(116)
        xyztUnits = bytes[123]
        dimInfo = bytes[39]
        qformCode = Int(fields.int16(252))
        sformCode = Int(fields.int16(254))
        quaternB = fields.float32(256)
        quaternC = fields.float32(260)
        quaternD = fields.float32(264)
        qoffsetX = fields.float32(268)
        qoffsetY = fields.float32(272)
        qoffsetZ = fields.float32(276)
        srowX = (0..<4).map { fields.float32(280 + 4 * $0) }
        srowY = (0..<4).map { fields.float32(296 + 4 * $0) }
        srowZ = (0..<4).map { fields.float32(312 + 4 * $0) }
        let text = bytes[148..<228].prefix(while: { $0 != 0 })
        descrip = String(decoding: text, as: UTF8.self)
        isBigEndian = bigEndian
    }

    /// The scaling to apply to stored values, or nil when they are the real values already.
    public var scaling: (slope: Float, intercept: Float)? {
        guard sclSlope.isFinite, sclSlope != 0 else { return nil }
        let intercept = sclInter.isFinite ? sclInter : 0
        if sclSlope == 1 && intercept == 0 { return nil }
        return (sclSlope, intercept)
    }

    /// The volume in patchtrain's `(x, y, z, c)` terms: dims 1-3 are space (missing ones are 1), dim 4 becomes the
    /// channels, and dims 5-7 must be 1 since patchtrain has no place for them.
    public func volumeShape(file: String) throws -> VolumeShape {
        let n = dim[0]
        func size(_ axis: Int) -> Int { axis <= n ? dim[axis] : 1 }
        if n > 4, (5...n).contains(where: { dim[$0] != 1 }) {
            throw InputError(file, "\(n)D image \(dim[1...n].map(String.init).joined(separator: "x")) (expected 3D, or 4D with channels on the 4th axis)")
        }
        return VolumeShape(x: size(1), y: size(2), z: size(3), channels: size(4))
    }

    /// The header as 352 little-endian bytes: the 348-byte header, then a zero extension flag (no extensions).
    /// `voxOffset` is written as 352, so the data must follow directly.
    public func encoded() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: NIfTIHeader.singleFileDataOffset)
        func put<T: FixedWidthInteger>(_ value: T, _ offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { for (i, b) in $0.enumerated() { out[offset + i] = b } }
        }
        func put(_ value: Float, _ offset: Int) { put(value.bitPattern, offset) }

        put(Int32(NIfTIHeader.headerSize), 0)
        out[38] = UInt8(ascii: "r")  // `regular`, which old Analyze readers expect
        out[39] = dimInfo
        for i in 0..<8 { put(Int16(clamping: dim[i]), 40 + 2 * i) }
        put(Int16(datatypeCode), 70)
        put(Int16((elementType?.byteSize ?? bitpix / 8) * 8), 72)
        for i in 0..<8 { put(pixdim[i], 76 + 4 * i) }
        put(Float(NIfTIHeader.singleFileDataOffset), 108)
        put(sclSlope, 112)
        put(sclInter, 116)
        out[123] = xyztUnits
        for (i, b) in descrip.utf8.prefix(79).enumerated() { out[148 + i] = b }
        put(Int16(qformCode), 252)
        put(Int16(sformCode), 254)
        put(quaternB, 256)
        put(quaternC, 260)
        put(quaternD, 264)
        put(qoffsetX, 268)
        put(qoffsetY, 272)
        put(qoffsetZ, 276)
        for i in 0..<4 {
            put(srowX[i], 280 + 4 * i)
            put(srowY[i], 296 + 4 * i)
            put(srowZ[i], 312 + 4 * i)
        }
        for (i, b) in "n+1\0".utf8.enumerated() { out[344 + i] = b }
        return out
    }
}

/// Reads header fields at fixed offsets in the file's own byte order.
private struct HeaderFields {
    let bytes: UnsafeRawBufferPointer
    let bigEndian: Bool

    func int16(_ offset: Int) -> Int16 {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)
        return bigEndian ? Int16(bigEndian: raw) : Int16(littleEndian: raw)
    }

    func float32(_ offset: Int) -> Float {
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        return Float(bitPattern: bigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw))
    }
}
