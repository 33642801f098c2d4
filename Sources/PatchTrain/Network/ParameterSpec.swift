/// One persistent tensor of the network, named and shaped exactly as PyTorch's `state_dict()` of the
/// reference `UNet3D` holds it (`Conv3d.weight` is `(out, in, kx, ky, kz)`; `ConvTranspose3d.weight` is
/// `(in, out, kx, ky, kz)`), so checkpoints load with `safetensors.torch.load_file`.
public struct ParameterSpec: Hashable, Codable, Sendable {
    public let name: String
    public let shape: [Int]
    public let elementType: ElementType
    /// Trained by the optimizer (weights, biases, normalisation scale and shift); false for running statistics.
    public let trainable: Bool
    /// How the kernels hold the values in memory (PyTorch's layout is `shape`).
    public let layout: ParameterLayout

    public init(name: String, shape: [Int], elementType: ElementType, trainable: Bool, layout: ParameterLayout = .asPyTorch) {
        self.name = name
        self.shape = shape
        self.elementType = elementType
        self.trainable = trainable
        self.layout = layout
    }

    public var elements: Int { shape.reduce(1, *) }
    public var bytes: Int { elements * elementType.byteSize }
}

/// The in-memory order of a parameter's values. Convolution kernels want the output channel innermost, so
/// their weights are held transposed from PyTorch's order and converted at the edges (checkpoints, fixtures).
public enum ParameterLayout: Hashable, Codable, Sendable {
    /// Same order as PyTorch (biases, normalisation parameters, statistics).
    case asPyTorch
    /// `Conv3d.weight` `(out, in, k, k, k)` held as `[k][k][k][in][out]`.
    case convolution
    /// `ConvTranspose3d.weight` `(in, out, 2, 2, 2)` held as `[in][2][2][2][out]`.
    case transposedConvolution

    /// PyTorch order → kernel order.
    public func fromPyTorch(_ values: [Float], shape: [Int]) -> [Float] {
        convert(values, shape: shape, toPyTorch: false)
    }

    /// Kernel order → PyTorch order.
    public func toPyTorch(_ values: [Float], shape: [Int]) -> [Float] {
        convert(values, shape: shape, toPyTorch: true)
    }

    /// Kernel order → PyTorch order into caller-owned memory (checkpoints reuse one scratch buffer).
    public func toPyTorch(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, shape: [Int]) {
        let count = shape.reduce(1, *)
        switch self {
        case .asPyTorch:
            destination.update(from: source, count: count)
        case .convolution:
            // PyTorch (co, ci, t) ← kernel [t][ci][co]
            let (co, ci, taps) = (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
            for o in 0..<co { for i in 0..<ci { for t in 0..<taps { destination[(o * ci + i) * taps + t] = source[(t * ci + i) * co + o] } } }
        case .transposedConvolution:
            // PyTorch (ci, co, t) ← kernel [ci][t][co]
            let (ci, co, taps) = (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
            for i in 0..<ci { for o in 0..<co { for t in 0..<taps { destination[(i * co + o) * taps + t] = source[(i * taps + t) * co + o] } } }
        }
    }

    private func convert(_ values: [Float], shape: [Int], toPyTorch: Bool) -> [Float] {
        if self == .asPyTorch { return values }
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { destination in
                if toPyTorch {
                    self.toPyTorch(source.baseAddress!, into: destination.baseAddress!, shape: shape)
                } else {
                    self.fromPyTorch(source.baseAddress!, into: destination.baseAddress!, shape: shape)
                }
            }
        }
        return out
    }

    /// PyTorch order → kernel order into caller-owned memory.
    public func fromPyTorch(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, shape: [Int]) {
        let count = shape.reduce(1, *)
        switch self {
        case .asPyTorch:
            destination.update(from: source, count: count)
        case .convolution:
            let (co, ci, taps) = (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
            for o in 0..<co { for i in 0..<ci { for t in 0..<taps { destination[(t * ci + i) * co + o] = source[(o * ci + i) * taps + t] } } }
        case .transposedConvolution:
            let (ci, co, taps) = (shape[0], shape[1], shape.dropFirst(2).reduce(1, *))
            for i in 0..<ci { for o in 0..<co { for t in 0..<taps { destination[(i * taps + t) * co + o] = source[(i * co + o) * taps + t] } } }
        }
    }
}
