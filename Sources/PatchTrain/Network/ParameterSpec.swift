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
        switch self {
        case .asPyTorch:
            destination.update(from: source, count: shape.reduce(1, *))
        case .convolution:
            ConvolutionWeights.toTorch(source, into: destination, inputChannels: shape[1], outputChannels: shape[0],
                                       taps: shape.dropFirst(2).reduce(1, *))
        case .transposedConvolution:
            TransposedConvolutionWeights.toTorch(source, into: destination, inputChannels: shape[0], outputChannels: shape[1])
        }
    }

    /// PyTorch order → kernel order into caller-owned memory.
    public func fromPyTorch(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, shape: [Int]) {
        switch self {
        case .asPyTorch:
            destination.update(from: source, count: shape.reduce(1, *))
        case .convolution:
            ConvolutionWeights.fromTorch(source, into: destination, inputChannels: shape[1], outputChannels: shape[0],
                                         taps: shape.dropFirst(2).reduce(1, *))
        case .transposedConvolution:
            TransposedConvolutionWeights.fromTorch(source, into: destination, inputChannels: shape[0], outputChannels: shape[1])
        }
    }

    private func convert(_ values: [Float], shape: [Int], toPyTorch: Bool) -> [Float] {
        [Float](unsafeUninitializedCapacity: values.count) { out, count in
            values.withUnsafeBufferPointer { source in
                if toPyTorch {
                    self.toPyTorch(source.baseAddress!, into: out.baseAddress!, shape: shape)
                } else {
                    self.fromPyTorch(source.baseAddress!, into: out.baseAddress!, shape: shape)
                }
            }
            count = values.count
        }
    }
}
