// A convolution operation with everything it touches bound: the forward pass with its output's normalisation
// statistics, and its backward twin.

/// The kernel of a convolution layer: 3×3×3, or 1×1×1 for the head.
enum ConvolutionLayer {
    case full(Convolution3D)
    case pointwise(PointwiseConvolution3D)

    init(kernel: Int, batch: Int, extent: Extent3, inputChannels: Int, outputChannels: Int) {
        if kernel == 3 {
            self = .full(Convolution3D(plan: ConvolutionPlan(batch: batch, extent: extent, inputChannels: inputChannels,
                                                             outputChannels: outputChannels)))
        } else {
            self = .pointwise(PointwiseConvolution3D(batch: batch, extent: extent, inputChannels: inputChannels,
                                                     outputChannels: outputChannels))
        }
    }

    /// Floating-point operations of one pass (forward, input gradient or weight gradient: the same count).
    var flops: Double {
        switch self {
        case .full(let c): c.plan.flops
        case .pointwise(let c): 2 * Double(c.batch * c.extent.volume * c.weightCount)
        }
    }

    /// What the profile files a pass under: the 3×3×3 passes by kind, the 1×1×1 head as one.
    func work(_ pass: StepWork) -> StepWork {
        if case .pointwise = self { return .head }
        return pass
    }
}

/// Batch norm's running averages and the `num_batches_tracked` counter (by parameter index) a training step updates.
struct RunningAverages {
    let mean: UnsafeMutablePointer<Float>
    let variance: UnsafeMutablePointer<Float>
    let counter: Int?
}

struct ConvolutionForward {
    let layer: ConvolutionLayer
    let sources: [BoundSource]
    let output: ActivationTensor
    let weights: LayerWeights
    let normalization: NormalizationForward?
    let workspace: UnsafeMutableRawPointer

    init(_ op: OperationSpec, kernel: Int, sources: [NormalizedSource], output: Int, statistics: Int?, parameters: String,
         normalization: String?, binder b: OperationBinder) {
        self.sources = sources.map { b.source($0) }
        self.output = b.tensor(output)
        let cin = self.sources.reduce(0) { $0 + $1.source.channels }
        layer = ConvolutionLayer(kernel: kernel, batch: b.batch, extent: self.output.extent, inputChannels: cin,
                                 outputChannels: self.output.channels)
        weights = b.weights(parameters)
        self.normalization = NormalizationForward(output: output, statistics: statistics, parameters: normalization, binder: b)
        workspace = b.workspace(op)
    }

    func run(image: UnsafePointer<Float16>, parameters: ParameterStore, profile: StepProfile?, name: String) {
        let inputs = sources.map { $0.resolved(image: image) }
        let bytes = Double(inputs.reduce(output.byteCount) { $0 + $1.tensor.byteCount })
        StepProfile.measure(profile, name, layer.work(.convolutionForward), flops: layer.flops, bytes: bytes) {
            switch layer {
            case .full(let convolution):
                convolution.forward(sources: inputs, weights: weights.weight, bias: weights.bias, output: output, workspace: workspace)
            case .pointwise(let convolution):
                convolution.forward(source: inputs[0], weights: weights.weight, bias: weights.bias, output: output, workspace: workspace)
            }
        }
        if let normalization {
            // One pass over the raw output for its statistics.
            StepProfile.measure(profile, name, .normalization, bytes: Double(output.byteCount)) {
                normalization.run(raw: output, parameters: parameters, workspace: workspace)
            }
        }
    }
}

/// The statistics of a convolution's raw output, and the scale and shift its consumers normalise with.
struct NormalizationForward {
    enum Mode {
        /// Inference batch norm: the running averages, as PyTorch's eval() and Keras' predict use them.
        case runningAverages(RunningAverages)
        /// Statistics of the batch (or of each sample), updating the running averages when given.
        case batchStatistics(updating: RunningAverages?)
    }

    let kernel: Normalization
    let statistics: StatisticsBlock
    let gammaAndBeta: LayerWeights
    let mode: Mode

    /// Nil for a convolution whose output is not normalised (no statistics).
    init?(output: Int, statistics: Int?, parameters name: String?, binder b: OperationBinder) {
        guard let statistics, let name else { return nil }
        kernel = b.normalizationKernel(for: output)
        self.statistics = b.statistics(statistics, channels: b.channels(output))
        gammaAndBeta = b.weights(name)
        let training = b.graph.mode == .training
        if b.normalization == .batch {
            let averages = RunningAverages(mean: b.value("\(name).running_mean"), variance: b.value("\(name).running_var"),
                                           counter: training ? b.parameters.indexOf("\(name).num_batches_tracked")! : nil)
            mode = training ? .batchStatistics(updating: averages) : .runningAverages(averages)
        } else {
            mode = .batchStatistics(updating: nil)
        }
    }

    func run(raw: ActivationTensor, parameters: ParameterStore, workspace: UnsafeMutableRawPointer) {
        switch mode {
        case .runningAverages(let averages):
            kernel.inferenceTransform(gamma: gammaAndBeta.weight, beta: gammaAndBeta.bias, runningMean: averages.mean,
                                      runningVariance: averages.variance, scale: statistics.scale, shift: statistics.shift)
        case .batchStatistics(let averages):
            kernel.trainingForward(raw: raw, gamma: gammaAndBeta.weight, beta: gammaAndBeta.bias, mean: statistics.mean,
                                   inverseStd: statistics.inverseStd, scale: statistics.scale, shift: statistics.shift,
                                   runningMean: averages?.mean, runningVariance: averages?.variance, workspace: workspace)
            if let counter = averages?.counter { parameters.incrementCounter(index: counter) }
        }
    }
}

struct ConvolutionBackward {
    let layer: ConvolutionLayer
    let sources: [BoundSource]
    let outputGradient: ActivationTensor
    /// The sources' gradients, all or none (the first layer's image needs none).
    let sourceGradients: [ActivationTensor]
    let weight: UnsafeMutablePointer<Float>
    let gradients: LayerWeights
    let normalization: NormalizationBackward?
    let workspace: UnsafeMutableRawPointer

    init(_ op: OperationSpec, kernel: Int, sources: [NormalizedSource], output: Int, statistics: Int?, parameters: String,
         normalization: String?, outputGradient: Int, sourceGradients: [Int?], binder b: OperationBinder) {
        self.sources = sources.map { b.source($0) }
        self.outputGradient = b.tensor(outputGradient)
        self.sourceGradients = sourceGradients.compactMap { $0 }.map { b.tensor($0) }
        precondition(self.sourceGradients.isEmpty || self.sourceGradients.count == sources.count,
                     "a convolution needs the gradients of all its sources or none")
        let cin = self.sources.reduce(0) { $0 + $1.source.channels }
        layer = ConvolutionLayer(kernel: kernel, batch: b.batch, extent: self.outputGradient.extent, inputChannels: cin,
                                 outputChannels: self.outputGradient.channels)
        weight = b.value("\(parameters).weight")
        gradients = b.gradients(parameters)
        self.normalization = NormalizationBackward(output: output, statistics: statistics, parameters: normalization, binder: b)
        workspace = b.workspace(op)
    }

    func run(image: UnsafePointer<Float16>, profile: StepProfile?, name: String) {
        let inputs = sources.map { $0.resolved(image: image) }
        let grad = outputGradient
        if let normalization {
            // dL/da → dL/dy in place: the kernel reads and writes each chunk before the next (two passes over the
            // raw output and the gradient: the sums, then the rewrite).
            StepProfile.measure(profile, name, .normalization, bytes: 5 * Double(grad.byteCount)) {
                normalization.run(activationGradient: grad, workspace: workspace)
            }
        }
        let inputBytes = Double(inputs.reduce(0) { $0 + $1.tensor.byteCount })
        StepProfile.measure(profile, name, layer.work(.convolutionWeightGradient), flops: layer.flops,
                            bytes: inputBytes + Double(grad.byteCount)) {
            switch layer {
            case .full(let convolution):
                convolution.backwardWeights(sources: inputs, outputGradient: grad, weightGradient: gradients.weight,
                                            biasGradient: gradients.bias, workspace: workspace)
            case .pointwise(let convolution):
                convolution.backwardWeights(source: inputs[0], outputGradient: grad, weightGradient: gradients.weight,
                                            biasGradient: gradients.bias, workspace: workspace)
            }
        }
        guard !sourceGradients.isEmpty else { return }
        let targetBytes = Double(sourceGradients.reduce(0) { $0 + $1.byteCount })
        StepProfile.measure(profile, name, layer.work(.convolutionInputGradient), flops: layer.flops,
                            bytes: targetBytes + Double(grad.byteCount)) {
            switch layer {
            case .full(let convolution):
                convolution.backwardInput(outputGradient: grad, weights: weight, inputGradients: sourceGradients, workspace: workspace)
            case .pointwise(let convolution):
                convolution.backwardInput(outputGradient: grad, weights: weight, inputGradient: sourceGradients[0], workspace: workspace)
            }
        }
    }
}

/// Turns the gradient with respect to the normalised output into the gradient with respect to the raw output,
/// adding gamma's and beta's gradients.
struct NormalizationBackward {
    let kernel: Normalization
    let raw: ActivationTensor
    let statistics: StatisticsBlock
    let gamma: UnsafeMutablePointer<Float>
    let gradients: LayerWeights

    /// Nil for a convolution whose output is not normalised (no statistics).
    init?(output: Int, statistics: Int?, parameters name: String?, binder b: OperationBinder) {
        guard let statistics, let name else { return nil }
        kernel = b.normalizationKernel(for: output)
        raw = b.tensor(output)
        self.statistics = b.statistics(statistics, channels: b.channels(output))
        gamma = b.value("\(name).weight")
        gradients = b.gradients(name)
    }

    func run(activationGradient grad: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        kernel.backward(raw: raw, activationGradient: grad, gamma: gamma, mean: statistics.mean,
                        inverseStd: statistics.inverseStd, scale: statistics.scale, shift: statistics.shift,
                        rawGradient: grad, gammaGradient: gradients.weight, betaGradient: gradients.bias, workspace: workspace)
    }
}
