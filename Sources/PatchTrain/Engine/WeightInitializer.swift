/// Initial values as PyTorch gives its modules by default, so a fresh patchtrain network starts where the
/// reference `UNet3D` would: convolution weights and biases uniform in ±1/√fan_in (kaiming_uniform with
/// a = √5), where fan_in = in × k³ for `Conv3d` and out × k³ for `ConvTranspose3d` (PyTorch reads fan_in
/// off the weight's second axis); normalisation scale 1, shift 0; running mean 0, running variance 1.
enum WeightInitializer {
    static func initialize(_ store: ParameterStore, seed: UInt64) {
        var generator = SeededGenerator(seed: seed, stream: 0x5EED_1417)
        for (i, spec) in store.specs.enumerated() {
            guard store.offsets[i] != nil else { continue }
            let values = store.value(spec.name)
            let name = spec.name
            if name.hasSuffix("running_var") {
                values.update(repeating: 1)
            } else if name.hasSuffix("running_mean") {
                values.update(repeating: 0)
            } else if isNormalization(name, in: store) {
                values.update(repeating: name.hasSuffix(".weight") ? 1 : 0)
            } else {
                let weightShape = store.specs[store.indexOf(weightName(of: name))!].shape
                let fanIn = weightShape[1] * weightShape.dropFirst(2).reduce(1, *)
                let bound = 1 / Double(fanIn).squareRoot()
                for k in values.indices {
                    values[k] = Float((generator.nextUnit() * 2 - 1) * bound)
                }
            }
        }
    }

    /// A normalisation layer's parameters are 1-D and belong to a module with running statistics or, for
    /// instance norm, sit at the `.net.1` / `.net.4` positions of a block.
    private static func isNormalization(_ name: String, in store: ParameterStore) -> Bool {
        name.contains(".net.1.") || name.contains(".net.4.")
    }

    private static func weightName(of name: String) -> String {
        name.hasSuffix(".bias") ? String(name.dropLast(".bias".count)) + ".weight" : name
    }
}
