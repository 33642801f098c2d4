import PatchTrain

/// One training step (forward, Dice loss, backward) of a small U-Net composed from the public kernels exactly as
/// the executor will compose them: only raw convolution outputs, pooled and upsampled tensors are stored; every
/// normalised ReLU is applied on read; skips are read as a second convolution source; the encoder output's gradient
/// is the sum of the skip's and the pool's contributions. Parameters and data come from `namedStream`, as in
/// `Fixtures/kernels/make_unet_step.py`.

/// float16 values of SplitMix64 seeded by the FNV-1a hash of `name` (the fixture script's `stream`).
func namedStream(_ name: String, count: Int, lo: Double, hi: Double) -> [Float] {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    var random = TestRandom(seed: hash)
    return (0..<count).map { _ in Float(Float16(lo + (hi - lo) * Double(random.next() >> 40) / Double(1 << 24))) }
}

/// fp32 memory owned by the harness, addressed by pointer (kernels write gradients in place).
final class FloatBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    init(_ values: [Float]) {
        count = values.count
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(from: values, count: count)
    }
    convenience init(zeros count: Int) { self.init([Float](repeating: 0, count: count)) }
    deinit { pointer.deallocate() }
    var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// Conv 3×3×3 → normalisation → (ReLU on read).
final class ConvNormUnit {
    let convName: String, normName: String
    let conv: Convolution3D, norm: Normalization
    let weight: FloatBuffer, bias: FloatBuffer, gamma: FloatBuffer, beta: FloatBuffer
    let weightGradient: FloatBuffer, biasGradient: FloatBuffer, gammaGradient: FloatBuffer, betaGradient: FloatBuffer
    let runningMean: FloatBuffer, runningVariance: FloatBuffer
    let mean: FloatBuffer, inverseStd: FloatBuffer, scale: FloatBuffer, shift: FloatBuffer
    let raw: OwnedTensor
    let gradientElement: ActivationElement

    init(block: String, first: Bool, kind: NormalizationKind, batch: Int, extent: Extent3, cin: Int, cout: Int,
         element: ActivationElement, gradientElement: ActivationElement) {
        convName = "\(block).net.\(first ? 0 : 3)"
        normName = "\(block).net.\(first ? 1 : 4)"
        self.gradientElement = gradientElement
        conv = Convolution3D(plan: ConvolutionPlan(batch: batch, extent: extent, inputChannels: cin, outputChannels: cout))
        norm = Normalization(kind: kind, batch: batch, extent: extent, channels: cout)
        let bound = 1 / Double(cin * 27).squareRoot()
        weight = FloatBuffer(ConvolutionWeights.fromTorch(
            namedStream(convName + ".weight", count: cout * cin * 27, lo: -bound, hi: bound),
            inputChannels: cin, outputChannels: cout))
        bias = FloatBuffer(namedStream(convName + ".bias", count: cout, lo: -bound, hi: bound))
        gamma = FloatBuffer(namedStream(normName + ".weight", count: cout, lo: 0.8, hi: 1.2))
        beta = FloatBuffer(namedStream(normName + ".bias", count: cout, lo: -0.1, hi: 0.1))
        weightGradient = FloatBuffer(zeros: weight.count)
        biasGradient = FloatBuffer(zeros: cout)
        gammaGradient = FloatBuffer(zeros: cout)
        betaGradient = FloatBuffer(zeros: cout)
        runningMean = FloatBuffer(zeros: cout)
        runningVariance = FloatBuffer([Float](repeating: 1, count: cout))
        mean = FloatBuffer(zeros: norm.statisticsCount)
        inverseStd = FloatBuffer(zeros: norm.statisticsCount)
        scale = FloatBuffer(zeros: norm.statisticsCount)
        shift = FloatBuffer(zeros: norm.statisticsCount)
        raw = OwnedTensor(batch: batch, extent: extent, channels: cout, element: element)
    }

    var workspaceFloats: Int { max(conv.plan.workspaceFloats, norm.workspaceFloats) }
    var output: ActivationSource {
        ActivationSource(raw.view, transform: norm.transform(scale: scale.pointer, shift: shift.pointer))
    }

    func forward(_ sources: [ActivationSource], workspace: UnsafeMutableRawPointer) {
        conv.forward(sources: sources, weights: weight.pointer, bias: bias.pointer, output: raw.view, workspace: workspace)
        norm.trainingForward(raw: raw.view, gamma: gamma.pointer, beta: beta.pointer, mean: mean.pointer,
                             inverseStd: inverseStd.pointer, scale: scale.pointer, shift: shift.pointer,
                             runningMean: runningMean.pointer, runningVariance: runningVariance.pointer,
                             workspace: workspace)
    }

    func backward(activationGradient: OwnedTensor, sources: [ActivationSource], inputGradients: [ActivationTensor]?,
                  workspace: UnsafeMutableRawPointer) {
        let rawGradient = OwnedTensor(batch: raw.view.batch, extent: raw.view.extent, channels: raw.view.channels,
                                      element: gradientElement)
        norm.backward(raw: raw.view, activationGradient: activationGradient.view, gamma: gamma.pointer,
                      mean: mean.pointer, inverseStd: inverseStd.pointer, scale: scale.pointer, shift: shift.pointer,
                      rawGradient: rawGradient.view, gammaGradient: gammaGradient.pointer,
                      betaGradient: betaGradient.pointer, workspace: workspace)
        conv.backwardWeights(sources: sources, outputGradient: rawGradient.view, weightGradient: weightGradient.pointer,
                             biasGradient: biasGradient.pointer, workspace: workspace)
        if let inputGradients {
            conv.backwardInput(outputGradient: rawGradient.view, weights: weight.pointer,
                               inputGradients: inputGradients, workspace: workspace)
        }
    }

    /// PyTorch-named gradients (and running statistics), PyTorch layout.
    func gradients(into table: inout [String: [Float]]) {
        let cin = conv.plan.inputChannels, cout = conv.plan.outputChannels
        table[convName + ".weight"] = ConvolutionWeights.toTorch(weightGradient.values, inputChannels: cin, outputChannels: cout)
        table[convName + ".bias"] = biasGradient.values
        table[normName + ".weight"] = gammaGradient.values
        table[normName + ".bias"] = betaGradient.values
    }
}

struct UNetStepResult {
    var loss: Double
    var gradients: [String: [Float]]
    var buffers: [String: [Float]]
}

/// Runs the step; `element` is the storage of every activation, `gradientElement` of every activation gradient
/// (logits and their gradient stay fp32).
func runUNetStep(kind: NormalizationKind, element: ActivationElement, gradientElement: ActivationElement) -> UNetStepResult {
    let batch = 2, edge = 16, filters = [4, 8, 16, 32], bottleneck = 64, classes = 2
    let extents = (0...4).map { Extent3(edge >> $0, edge >> $0, edge >> $0) }
    func tensor(_ level: Int, _ channels: Int) -> OwnedTensor {
        OwnedTensor(batch: batch, extent: extents[level], channels: channels, element: element)
    }
    func gradientTensor(_ level: Int, _ channels: Int) -> OwnedTensor {
        OwnedTensor(batch: batch, extent: extents[level], channels: channels, element: gradientElement)
    }
    func block(_ name: String, _ level: Int, _ cin: Int, _ f: Int) -> (ConvNormUnit, ConvNormUnit) {
        (ConvNormUnit(block: name, first: true, kind: kind, batch: batch, extent: extents[level], cin: cin, cout: f, element: element, gradientElement: gradientElement),
         ConvNormUnit(block: name, first: false, kind: kind, batch: batch, extent: extents[level], cin: f, cout: f, element: element, gradientElement: gradientElement))
    }
    let encoders = (0..<4).map { block("enc.\($0)", $0, $0 == 0 ? 1 : filters[$0 - 1], filters[$0]) }
    let bottom = block("bott", 4, filters[3], bottleneck)
    // Decoder j works at level 3 − j.
    let ups = (0..<4).map { j -> (TransposedConvolution3D, FloatBuffer, FloatBuffer, FloatBuffer, FloatBuffer) in
        let level = 3 - j, cin = j == 0 ? bottleneck : filters[level + 1], cout = filters[level]
        let layer = TransposedConvolution3D(batch: batch, inputExtent: extents[level + 1], inputChannels: cin, outputChannels: cout)
        let bound = 1 / Double(cout * 8).squareRoot()
        let w = TransposedConvolutionWeights.fromTorch(namedStream("up.\(j).weight", count: cin * cout * 8, lo: -bound, hi: bound),
                                                       inputChannels: cin, outputChannels: cout)
        return (layer, FloatBuffer(w), FloatBuffer(namedStream("up.\(j).bias", count: cout, lo: -bound, hi: bound)),
                FloatBuffer(zeros: w.count), FloatBuffer(zeros: cout))
    }
    let decoders = (0..<4).map { j in block("dec.\(j)", 3 - j, 2 * filters[3 - j], filters[3 - j]) }
    let pools = (0..<4).map { MaxPool3D(batch: batch, inputExtent: extents[$0], channels: filters[$0]) }
    let head = PointwiseConvolution3D(batch: batch, extent: extents[0], inputChannels: filters[0], outputChannels: classes)
    let headBound = 1 / Double(filters[0]).squareRoot()
    let headWeight = FloatBuffer(ConvolutionWeights.fromTorch(
        namedStream("out.weight", count: classes * filters[0], lo: -headBound, hi: headBound),
        inputChannels: filters[0], outputChannels: classes, taps: 1))
    let headBias = FloatBuffer(namedStream("out.bias", count: classes, lo: -headBound, hi: headBound))
    let headWeightGradient = FloatBuffer(zeros: headWeight.count), headBiasGradient = FloatBuffer(zeros: classes)
    let loss = SoftmaxLoss(loss: .dice, batch: batch, extent: extents[0], classes: classes)

    var floats = max(head.workspaceFloats, loss.workspaceFloats)
    for (a, b) in encoders + decoders + [bottom] { floats = max(floats, a.workspaceFloats, b.workspaceFloats) }
    for u in ups { floats = max(floats, u.0.workspaceFloats) }
    for p in pools { floats = max(floats, p.workspaceFloats) }
    let workspace = Workspace(floats: floats)
    let ws = workspace.pointer

    // Data.
    let voxels = batch * extents[0].volume
    let image = OwnedTensor(batch: batch, extent: extents[0], channels: 1, element: element,
                            values: namedStream("image", count: voxels, lo: -1, hi: 1))
    let labels = namedStream("labels", count: voxels, lo: 0, hi: 1).map { UInt8($0 >= 0.5 ? 1 : 0) }

    // Forward.
    var pooled = [OwnedTensor]()
    var input = ActivationSource(image.view)
    for i in 0..<4 {
        encoders[i].0.forward([input], workspace: ws)
        encoders[i].1.forward([encoders[i].0.output], workspace: ws)
        let p = tensor(i + 1, filters[i])
        pools[i].forward(source: encoders[i].1.output, output: p.view, workspace: ws)
        pooled.append(p)
        input = ActivationSource(p.view)
    }
    bottom.0.forward([input], workspace: ws)
    bottom.1.forward([bottom.0.output], workspace: ws)
    var upInputs = [ActivationSource](), upOutputs = [OwnedTensor]()
    var previous = bottom.1.output
    for j in 0..<4 {
        let level = 3 - j
        let u = tensor(level, filters[level])
        ups[j].0.forward(source: previous, weights: ups[j].1.pointer, bias: ups[j].2.pointer, output: u.view, workspace: ws)
        upInputs.append(previous)
        upOutputs.append(u)
        decoders[j].0.forward([ActivationSource(u.view), encoders[level].1.output], workspace: ws)
        decoders[j].1.forward([decoders[j].0.output], workspace: ws)
        previous = decoders[j].1.output
    }
    let logits = OwnedTensor(batch: batch, extent: extents[0], channels: classes, element: .float32)
    head.forward(source: previous, weights: headWeight.pointer, bias: headBias.pointer, output: logits.view, workspace: ws)
    let logitGradient = OwnedTensor(batch: batch, extent: extents[0], channels: classes, element: .float32)
    let value = labels.withUnsafeBufferPointer {
        loss.evaluate(logits: logits.view, labels: $0.baseAddress!, logitGradient: logitGradient.view, workspace: ws)
    }

    // Backward.
    var gradient = gradientTensor(0, filters[0])
    head.backwardWeights(source: previous, outputGradient: logitGradient.view, weightGradient: headWeightGradient.pointer,
                         biasGradient: headBiasGradient.pointer, workspace: ws)
    head.backwardInput(outputGradient: logitGradient.view, weights: headWeight.pointer, inputGradient: gradient.view, workspace: ws)
    var skipGradients = [Int: OwnedTensor]()
    for j in (0..<4).reversed() {
        let level = 3 - j, f = filters[level]
        let first = gradientTensor(level, f)
        decoders[j].1.backward(activationGradient: gradient, sources: [decoders[j].0.output],
                               inputGradients: [first.view], workspace: ws)
        let up = gradientTensor(level, f), skip = gradientTensor(level, f)
        decoders[j].0.backward(activationGradient: first, sources: [ActivationSource(upOutputs[j].view), encoders[level].1.output],
                               inputGradients: [up.view, skip.view], workspace: ws)
        skipGradients[level] = skip
        let below = gradientTensor(level + 1, j == 0 ? bottleneck : filters[level + 1])
        ups[j].0.backwardWeights(source: upInputs[j], outputGradient: up.view, weightGradient: ups[j].3.pointer,
                                 biasGradient: ups[j].4.pointer, workspace: ws)
        ups[j].0.backwardInput(outputGradient: up.view, weights: ups[j].1.pointer, inputGradient: below.view, workspace: ws)
        gradient = below
    }
    let bottomFirst = gradientTensor(4, bottleneck)
    bottom.1.backward(activationGradient: gradient, sources: [bottom.0.output], inputGradients: [bottomFirst.view], workspace: ws)
    var pooledGradient = gradientTensor(4, filters[3])
    bottom.0.backward(activationGradient: bottomFirst, sources: [ActivationSource(pooled[3].view)],
                      inputGradients: [pooledGradient.view], workspace: ws)
    for i in (0..<4).reversed() {
        let output = skipGradients[i]!
        pools[i].backward(source: encoders[i].1.output, outputGradient: pooledGradient.view, inputGradient: output.view,
                          accumulate: true, workspace: ws)
        let first = gradientTensor(i, filters[i])
        encoders[i].1.backward(activationGradient: output, sources: [encoders[i].0.output], inputGradients: [first.view], workspace: ws)
        if i > 0 {
            let below = gradientTensor(i, filters[i - 1])
            encoders[i].0.backward(activationGradient: first, sources: [ActivationSource(pooled[i - 1].view)],
                                   inputGradients: [below.view], workspace: ws)
            pooledGradient = below
        } else {
            encoders[0].0.backward(activationGradient: first, sources: [ActivationSource(image.view)], inputGradients: nil, workspace: ws)
        }
    }

    var gradients = [String: [Float]](), buffers = [String: [Float]]()
    for (a, b) in encoders + [bottom] + decoders {
        for unit in [a, b] {
            unit.gradients(into: &gradients)
            buffers[unit.normName + ".running_mean"] = unit.runningMean.values
            buffers[unit.normName + ".running_var"] = unit.runningVariance.values
        }
    }
    for j in 0..<4 {
        let level = 3 - j, cin = j == 0 ? bottleneck : filters[level + 1]
        gradients["up.\(j).weight"] = TransposedConvolutionWeights.toTorch(ups[j].3.values, inputChannels: cin, outputChannels: filters[level])
        gradients["up.\(j).bias"] = ups[j].4.values
    }
    gradients["out.weight"] = ConvolutionWeights.toTorch(headWeightGradient.values, inputChannels: filters[0], outputChannels: classes, taps: 1)
    gradients["out.bias"] = headBiasGradient.values
    return UNetStepResult(loss: value, gradients: gradients, buffers: buffers)
}
