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
        switch self {
        case .asPyTorch: return values
        case .convolution:
            return ConvolutionWeights.fromTorch(values, inputChannels: shape[1], outputChannels: shape[0], taps: shape.dropFirst(2).reduce(1, *))
        case .transposedConvolution:
            return TransposedConvolutionWeights.fromTorch(values, inputChannels: shape[0], outputChannels: shape[1])
        }
    }

    /// Kernel order → PyTorch order.
    public func toPyTorch(_ values: [Float], shape: [Int]) -> [Float] {
        switch self {
        case .asPyTorch: return values
        case .convolution:
            return ConvolutionWeights.toTorch(values, inputChannels: shape[1], outputChannels: shape[0], taps: shape.dropFirst(2).reduce(1, *))
        case .transposedConvolution:
            return TransposedConvolutionWeights.toTorch(values, inputChannels: shape[0], outputChannels: shape[1])
        }
    }
}
