import Foundation

/// A trained network read back from `weights.safetensors`: its shape is recovered from the tensors themselves
/// (input channels and base filters from the first convolution, depth from the encoder blocks, classes from the
/// head, batch versus instance norm from the running statistics), so a weights file is a complete model.
public struct TrainedModel {
    public let path: String
    public let configuration: UNetConfiguration
    public let parameters: ParameterStore

    /// `path`: a `weights.safetensors` file or a checkpoint folder holding one.
    public init(path given: String) throws {
        let path = TrainedModel.weightsPath(given)
        let reader = try Safetensors.Reader(path: path)
        configuration = try TrainedModel.configuration(of: reader)
        let graph = LayerGraph(configuration: configuration, patch: Extent3(configuration.patchMultiple, configuration.patchMultiple,
                                                                            configuration.patchMultiple),
                               microBatch: 1, mode: .inference)
        parameters = ParameterStore(specs: graph.parameters, training: false)
        try WeightsFile.read(path, into: parameters)
        self.path = path
    }

    static func weightsPath(_ given: String) -> String {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: given, isDirectory: &isFolder), isFolder.boolValue {
            return (given as NSString).appendingPathComponent("weights.safetensors")
        }
        return given
    }

    static func configuration(of reader: Safetensors.Reader) throws -> UNetConfiguration {
        func shape(_ name: String) throws -> [Int] {
            guard let entry = reader.entries[name] else {
                throw InputError(reader.path, "no tensor '\(name)': not weights of patchtrain's U-Net")
            }
            return entry.shape
        }
        let first = try shape("enc.0.net.0.weight"), head = try shape("out.weight")
        guard first.count == 5, head.count == 5 else { throw InputError(reader.path, "convolution weights must have 5 dimensions") }
        var depth = 0
        while reader.entries["enc.\(depth).net.0.weight"] != nil { depth += 1 }
        let normalization: NormalizationKind = reader.entries["enc.0.net.1.running_mean"] != nil ? .batch : .instance
        let configuration = UNetConfiguration(inputChannels: first[1], classes: head[0], baseFilters: first[0], depth: depth,
                                              normalization: normalization)
        // A softmax head needs two classes at least (a binary model has two); zero filters or a depth the patch
        // rule cannot take would reach the graph's preconditions.
        do {
            try configuration.checkLimits()
        } catch let problem as FieldProblem {
            throw InputError(reader.path, "its tensors describe a network patchtrain cannot run: \(problem)")
        }
        return configuration
    }
}
