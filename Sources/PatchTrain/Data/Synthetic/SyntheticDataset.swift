import Foundation

/// Writes synthetic BraTS-like cases to a folder in the Keras user's `.npy` layout:
///
///     DIR/images/case_000.npy   float32 (x, y, z, 1)
///     DIR/masks/case_000.npy    float32 one-hot (x, y, z, 4)      (mask layout .oneHot)
///     DIR/labels/case_000.npy   uint8 class indices (x, y, z)     (mask layout .labels)
///
/// Each case streams through `NPYWriter` a slab of x-planes at a time, so memory stays at a few slabs whatever
/// the shape, and each file appears atomically when complete.
public struct SyntheticDataset: Sendable {
    public enum MaskLayout: String, Sendable, Codable {
        /// float32 `(x, y, z, 4)`, one channel per class: what a Keras pipeline feeds to a softmax loss.
        case oneHot = "one-hot"
        /// uint8 `(x, y, z)` class indices: a sixteenth of the one-hot file's bytes.
        case labels
    }

    /// The files of one written case.
    public struct CaseFiles: Sendable, Codable, Equatable {
        public var image: String
        public var mask: String
    }

    public let folder: String
    public let shape: Extent3
    public let seed: UInt64
    public let caseCount: Int
    public let maskLayout: MaskLayout

    /// Voxels rendered and written per step; about 8 MB of image and labels at a time.
    static let slabVoxels = 1 << 21

    public init(folder: String, shape: Extent3, seed: UInt64, caseCount: Int, maskLayout: MaskLayout = .oneHot) {
        self.folder = folder
        self.shape = shape
        self.seed = seed
        self.caseCount = caseCount
        self.maskLayout = maskLayout
    }

    public var imageFolder: String { "\(folder)/images" }
    public var maskFolder: String { "\(folder)/\(maskLayout == .oneHot ? "masks" : "labels")" }

    /// `case_007`: three digits, more when the dataset needs them, so names sort in case order.
    public func caseName(_ index: Int) -> String {
        let width = max(3, String(max(caseCount - 1, 0)).count)
        let digits = String(index)
        return "case_" + String(repeating: "0", count: max(width - digits.count, 0)) + digits
    }

    public func files(ofCase index: Int) -> CaseFiles {
        CaseFiles(image: "\(imageFolder)/\(caseName(index)).npy", mask: "\(maskFolder)/\(caseName(index)).npy")
    }

    /// Creates the output folders. A path that exists but is not a folder, or a folder that cannot be created
    /// (no permission, missing mount), is bad input naming that path: the user chose it.
    public func createFolders() throws {
        for path in [folder, imageFolder, maskFolder] {
            try Self.makeFolder(path)
        }
    }

    /// `mkdir -p`, reporting the component that failed and the system's reason.
    private static func makeFolder(_ path: String) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw InputError(path, "exists and is not a folder") }
            return
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeFolder(String(path[..<slash]))
        }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw InputError(path, "cannot create folder (\(String(cString: strerror(errno))))")
        }
    }

    /// Writes cases `indices`, `inFlight` of them at a time, calling `caseWritten` (from a worker thread) as each
    /// completes; returns their files in index order.
    ///
    /// Rendering is cheap next to the bytes (a one-hot case at 240×240×160 is 184 MB), and each file ends with an
    /// fsync that waits on the disk: with two cases in flight one is copied into the page cache while the other's
    /// fsync runs, instead of the two waits adding up. On the first failure the other workers stop at their next case.
    public func writeCases(_ indices: Range<Int>, inFlight: Int = 2,
                           caseWritten: @Sendable (Int, CaseFiles) -> Void = { _, _ in }) throws -> [CaseFiles] {
        let workers = max(1, min(inFlight, indices.count))
        let outcome = WriteOutcome(count: indices.count)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            for index in stride(from: indices.lowerBound + worker, to: indices.upperBound, by: workers) {
                guard !outcome.failed else { return }
                do {
                    let files = try writeCase(index)
                    outcome.record(files, at: index - indices.lowerBound)
                    caseWritten(index, files)
                } catch {
                    outcome.fail(error)
                    return
                }
            }
        }
        return try outcome.result()
    }

    /// What the workers of `writeCases` share: the files written so far and the first error.
    private final class WriteOutcome: @unchecked Sendable {
        private let lock = NSLock()
        private var files: [CaseFiles?]
        private var error: (any Error)?

        init(count: Int) { files = Array(repeating: nil, count: count) }

        var failed: Bool { lock.withLock { error != nil } }

        func record(_ caseFiles: CaseFiles, at position: Int) { lock.withLock { files[position] = caseFiles } }

        func fail(_ newError: any Error) { lock.withLock { if error == nil { error = newError } } }

        func result() throws -> [CaseFiles] {
            try lock.withLock {
                if let error { throw error }
                return files.map { $0! }
            }
        }
    }

    /// Renders case `index` and writes its image and mask files.
    @discardableResult
    public func writeCase(_ index: Int) throws -> CaseFiles {
        let brain = SyntheticBrain(shape: shape, seed: seed, caseIndex: index)
        let files = files(ofCase: index)
        let spatial = [shape.x, shape.y, shape.z]
        let image = try NPYWriter(path: files.image, elementType: .float32, shape: spatial + [1])
        let mask = maskLayout == .oneHot
            ? try NPYWriter(path: files.mask, elementType: .float32, shape: spatial + [SyntheticClass.allCases.count])
            : try NPYWriter(path: files.mask, elementType: .uint8, shape: spatial)

        let planeVoxels = shape.y * shape.z
        let slabPlanes = max(1, min(shape.x, Self.slabVoxels / planeVoxels))
        let capacity = slabPlanes * planeVoxels
        let imageSlab = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let labelSlab = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        let oneHotSlab = maskLayout == .oneHot ? UnsafeMutablePointer<SIMD4<Float>>.allocate(capacity: capacity) : nil
        defer {
            imageSlab.deallocate()
            labelSlab.deallocate()
            oneHotSlab?.deallocate()
        }
        let oneHotRows: [SIMD4<Float>] = [SIMD4(1, 0, 0, 0), SIMD4(0, 1, 0, 0), SIMD4(0, 0, 1, 0), SIMD4(0, 0, 0, 1)]

        for start in stride(from: 0, to: shape.x, by: slabPlanes) {
            let planes = start..<min(start + slabPlanes, shape.x)
            let count = planes.count * planeVoxels
            brain.renderConcurrently(planes: planes, image: imageSlab, labels: labelSlab)
            try image.append(UnsafeBufferPointer(start: imageSlab, count: count))
            if let oneHotSlab {
                for i in 0..<count { oneHotSlab[i] = oneHotRows[Int(labelSlab[i] & 3)] }
                try mask.append(raw: UnsafeRawBufferPointer(start: oneHotSlab, count: count * MemoryLayout<SIMD4<Float>>.stride))
            } else {
                try mask.append(UnsafeBufferPointer(start: labelSlab, count: count))
            }
        }
        try image.finish()
        try mask.finish()
        return files
    }
}
