/// One persistent tensor of the network, named and shaped exactly as PyTorch's `state_dict()` of the
/// reference `UNet3D` holds it (`Conv3d.weight` is `(out, in, kx, ky, kz)`; `ConvTranspose3d.weight` is
/// `(in, out, kx, ky, kz)`), so checkpoints load with `safetensors.torch.load_file`.
public struct ParameterSpec: Hashable, Codable, Sendable {
    public let name: String
    public let shape: [Int]
    public let elementType: ElementType
    /// Trained by the optimizer (weights, biases, normalisation scale and shift); false for running statistics.
    public let trainable: Bool

    public var elements: Int { shape.reduce(1, *) }
    public var bytes: Int { elements * elementType.byteSize }
}
