/// Writes the U-Net's training step into a `LayerGraph`: parameters, tensors and operations.
///
/// Forward, per encoder level `l` (input `x`: the image, or the previous level's pooled output):
///   `enc{l}.conv1 = conv(x)`, `enc{l}.conv2 = conv(a(enc{l}.conv1))`, `pool{l} = maxpool(a(enc{l}.conv2))`,
/// where `a(t) = relu(normalize(t))` is recomputed wherever it is read, never stored. Then the bottleneck
/// (`bott.conv1`, `bott.conv2`); per decoder level, deepest first,
///   `dec{l}.up = tconv(a(previous))`, `dec{l}.conv1 = conv([dec{l}.up, a(enc{l}.conv2)])`, `dec{l}.conv2 = conv(a(dec{l}.conv1))`;
/// the 1×1×1 head to `logits` and the loss. Backward visits the same operations in reverse.
struct LayerGraphBuilder {
    var graph: LayerGraph
    let workspaceBytes: (OperationKind, LayerGraph) -> Int

    private var config: UNetConfiguration { graph.configuration }
    private var batch: Int { graph.microBatch }

    init(graph: LayerGraph, workspaceBytes: @escaping (OperationKind, LayerGraph) -> Int) {
        self.graph = graph
        self.workspaceBytes = workspaceBytes
    }

    /// A forward convolution's record, kept for its backward twin.
    private struct ConvolutionRecord {
        let name: String
        let kernel: Int
        let sources: [NormalizedSource]
        let output: Int
        let statistics: Int?
        let parameters: String
        let normalization: String?
        let level: Int
        let flops: Double
    }

    private var records: [String: ConvolutionRecord] = [:]

    mutating func build() {
        addParameters()
        switch graph.mode {
        case .training:
            forwardAndLoss()
            backward()
        case .inference:
            forwardAndSoftmax()
        }
    }

    // MARK: Parameters (PyTorch state_dict names of the reference UNet3D)

    private mutating func addParameters() {
        var channels = config.inputChannels
        for (i, f) in config.levelFilters.enumerated() {
            addBlockParameters("enc.\(i)", input: channels, filters: f)
            channels = f
        }
        addBlockParameters("bott", input: channels, filters: config.bottleneckFilters)
        channels = config.bottleneckFilters
        // PyTorch's module order: all up-samplings, then all decoder blocks (state_dict follows registration).
        for (j, f) in config.levelFilters.reversed().enumerated() {
            addParameter("up.\(j).weight", [channels, f, 2, 2, 2], layout: .transposedConvolution)
            addParameter("up.\(j).bias", [f])
            channels = f
        }
        for (j, f) in config.levelFilters.reversed().enumerated() {
            addBlockParameters("dec.\(j)", input: 2 * f, filters: f)
        }
        addParameter("out.weight", [config.classes, channels, 1, 1, 1], layout: .convolution)
        addParameter("out.bias", [config.classes])
    }

    private mutating func addBlockParameters(_ prefix: String, input: Int, filters: Int) {
        for (conv, norm, cin) in [(0, 1, input), (3, 4, filters)] {
            addParameter("\(prefix).net.\(conv).weight", [filters, cin, 3, 3, 3], layout: .convolution)
            addParameter("\(prefix).net.\(conv).bias", [filters])
            addParameter("\(prefix).net.\(norm).weight", [filters])
            addParameter("\(prefix).net.\(norm).bias", [filters])
            if config.normalization == .batch {
                addParameter("\(prefix).net.\(norm).running_mean", [filters], trainable: false)
                addParameter("\(prefix).net.\(norm).running_var", [filters], trainable: false)
                addParameter("\(prefix).net.\(norm).num_batches_tracked", [], type: .int64, trainable: false)
            }
        }
    }

    private mutating func addParameter(_ name: String, _ shape: [Int], type: ElementType = .float32, trainable: Bool = true,
                                       layout: ParameterLayout = .asPyTorch) {
        graph.append(parameter: ParameterSpec(name: name, shape: shape, elementType: type, trainable: trainable, layout: layout))
    }

    // MARK: Tensors

    private mutating func tensor(_ name: String, _ shape: [Int], _ type: ElementType, _ kind: TensorKind, level: Int?) -> Int {
        let id = graph.tensors.count
        graph.append(tensor: TensorSpec(id: id, name: name, shape: shape, elementType: type, kind: kind, level: level))
        return id
    }

    private mutating func activation(_ name: String, level: Int, channels: Int, kind: TensorKind = .activation, type: ElementType? = nil) -> Int {
        let e = graph.extent(atLevel: level)
        return tensor(name, [batch, e.x, e.y, e.z, channels], type ?? graph.activationType, kind, level: level)
    }

    /// The channels of a tensor this builder made: every one is `(batch, x, y, z, channels)` (`activation`).
    private func channels(_ id: Int) -> Int { graph.tensors[id].shape.last ?? 0 }
    private func voxels(_ id: Int) -> Int { graph.tensors[id].shape.dropLast().reduce(1, *) }

    private func normalized(_ id: Int, statistics: Int?, parameters: String?) -> NormalizedSource {
        NormalizedSource(tensor: id, statistics: statistics, normalizationParameters: parameters)
    }

    // MARK: Operations

    private mutating func operation(_ name: String, _ phase: OperationSpec.Phase, _ kind: OperationKind,
                                    reads: [Int], writes: [Int], flops: Double, level: Int?) {
        let bytes = workspaceBytes(kind, graph)
        let workspace = bytes > 0
            ? tensor("\(name).workspace", [(bytes + 3) / 4], .float32, .workspace, level: level)
            : nil
        let reads = reads + sourceStatistics(kind)
        graph.append(operation: OperationSpec(index: graph.operations.count, name: name, phase: phase, kind: kind,
                                              reads: reads, writes: writes, workspace: workspace, flops: flops, level: level))
    }

    private func sourceStatistics(_ kind: OperationKind) -> [Int] {
        switch kind {
        case .convolution(_, let sources, _, _, _, _), .convolutionBackward(_, let sources, _, _, _, _, _, _):
            return sources.compactMap(\.statistics)
        case .maxPool(let source, _), .maxPoolBackward(let source, _, _, _),
             .transposedConvolution(let source, _, _), .transposedConvolutionBackward(let source, _, _, _):
            return source.statistics.map { [$0] } ?? []
        case .softmaxLoss, .softmax:
            return []
        }
    }

    /// A 3×3×3 convolution with normalisation statistics (or the 1×1×1 head without).
    private mutating func convolution(_ name: String, parameters: String, kernel: Int, sources: [NormalizedSource],
                                      filters: Int, level: Int, normalized: Bool, outputType: ElementType? = nil,
                                      outputKind: TensorKind = .activation) -> (output: Int, statistics: Int?) {
        let output = activation(name, level: level, channels: filters, kind: outputKind, type: outputType)
        var statistics: Int?
        let normalization = normalized ? LayerGraphBuilder.normalizationParameters(ofConvolution: parameters) : nil
        if normalized {
            // Mean, inverse standard deviation, and the scale and shift consumers read through: per channel for
            // batch norm, per sample and channel for instance norm.
            let count = (config.normalization == .batch ? 1 : batch) * 4 * filters
            statistics = tensor("\(name).stats", [count], .float32, .statistics, level: level)
        }
        let inputChannels = sources.map { channels($0.tensor) }.reduce(0, +)
        let flops = 2.0 * Double(voxels(output)) * Double(kernel * kernel * kernel * inputChannels * filters)
        let kind = OperationKind.convolution(kernel: kernel, sources: sources, output: output, statistics: statistics,
                                             parameters: parameters, normalization: normalization)
        operation(name, .forward, kind, reads: sources.map(\.tensor), writes: [output] + (statistics.map { [$0] } ?? []),
                  flops: flops, level: level)
        records[name] = ConvolutionRecord(name: name, kernel: kernel, sources: sources, output: output,
                                          statistics: statistics, parameters: parameters, normalization: normalization,
                                          level: level, flops: flops)
        return (output, statistics)
    }

    /// Conv → norm → ReLU → conv → norm → ReLU; returns the second convolution's raw output, read through its norm.
    private mutating func block(_ name: String, parameters: String, sources: [NormalizedSource], filters: Int, level: Int) -> NormalizedSource {
        let first = convolution("\(name).conv1", parameters: "\(parameters).net.0", kernel: 3, sources: sources,
                                filters: filters, level: level, normalized: true)
        let second = convolution("\(name).conv2", parameters: "\(parameters).net.3", kernel: 3,
                                 sources: [normalized(first.output, statistics: first.statistics, parameters: "\(parameters).net.1")],
                                 filters: filters, level: level, normalized: true)
        return normalized(second.output, statistics: second.statistics, parameters: "\(parameters).net.4")
    }

    private var labels: Int = -1
    private var logits: Int = -1
    private var encoderOutputs: [NormalizedSource] = []
    private var poolOutputs: [Int] = []

    private mutating func forwardAndLoss() {
        forward()
        operation("loss", .loss, .softmaxLoss(logits: logits, labels: labels), reads: [logits, labels], writes: [logits],
                  flops: Double(voxels(logits) * config.classes * 10), level: 0)
    }

    private mutating func forwardAndSoftmax() {
        forward()
        operation("softmax", .forward, .softmax(logits: logits), reads: [logits], writes: [logits],
                  flops: Double(voxels(logits) * config.classes * 8), level: 0)
    }

    /// The network from the image to the logits.
    private mutating func forward() {
        let e = graph.extent(atLevel: 0)
        let image = tensor("image", [batch, e.x, e.y, e.z, config.inputChannels], .float16, .input, level: 0)
        if graph.mode == .training {
            labels = tensor("labels", [batch, e.x, e.y, e.z], .uint8, .input, level: 0)
        }
        var current = NormalizedSource.raw(image)
        for (l, f) in config.levelFilters.enumerated() {
            let skip = block("enc\(l)", parameters: "enc.\(l)", sources: [current], filters: f, level: l)
            encoderOutputs.append(skip)
            let pooled = activation("pool\(l)", level: l + 1, channels: f)
            let kind = OperationKind.maxPool(source: skip, output: pooled)
            operation("pool\(l)", .forward, kind, reads: [skip.tensor], writes: [pooled], flops: Double(voxels(skip.tensor) * f), level: l)
            poolOutputs.append(pooled)
            current = .raw(pooled)
        }
        current = block("bott", parameters: "bott", sources: [current], filters: config.bottleneckFilters, level: config.depth)
        for (j, f) in config.levelFilters.reversed().enumerated() {
            let l = config.depth - 1 - j
            let up = activation("dec\(l).up", level: l, channels: f)
            let kind = OperationKind.transposedConvolution(source: current, output: up, parameters: "up.\(j)")
            let flops = 2.0 * Double(voxels(current.tensor)) * Double(8 * channels(current.tensor) * f)
            operation("dec\(l).up", .forward, kind, reads: [current.tensor], writes: [up], flops: flops, level: l)
            current = block("dec\(l)", parameters: "dec.\(j)", sources: [.raw(up), encoderOutputs[l]], filters: f, level: l)
        }
        logits = convolution("head", parameters: "out", kernel: 1, sources: [current], filters: config.classes,
                             level: 0, normalized: false, outputType: .float32, outputKind: .logits).output
    }

    // MARK: Backward

    /// Gradient tensors by the name of the activation they belong to (the gradient with respect to `a(t)`).
    private var gradients: [String: Int] = [:]

    private mutating func gradient(of id: Int) -> Int {
        let name = graph.tensors[id].name
        if let g = gradients[name] { return g }
        let spec = graph.tensors[id]
        let g = tensor("grad.\(name)", spec.shape, .float32, .gradient, level: spec.level)
        gradients[name] = g
        return g
    }

    /// With recomputation, the block's first convolution runs again (without touching the running statistics: its
    /// saved statistics are reused) into a fresh tensor that the block's backward then reads instead.
    private mutating func recomputeFirstConvolution(ofBlock block: String) {
        guard graph.recomputation else { return }
        let first = records["\(block).conv1"]!, second = records["\(block).conv2"]!
        let spec = graph.tensors[first.output]
        let again = tensor("\(spec.name).recomputed", spec.shape, spec.elementType, .activation, level: spec.level)
        let kind = OperationKind.convolution(kernel: first.kernel, sources: first.sources, output: again, statistics: nil,
                                             parameters: first.parameters, normalization: nil)
        operation("\(block).conv1.recompute", .backward, kind, reads: first.sources.map(\.tensor), writes: [again],
                  flops: first.flops, level: first.level)
        records[first.name] = ConvolutionRecord(name: first.name, kernel: first.kernel, sources: first.sources, output: again,
                                                statistics: first.statistics, parameters: first.parameters,
                                                normalization: first.normalization, level: first.level, flops: first.flops)
        let source = normalized(again, statistics: first.statistics, parameters: first.normalization)
        records[second.name] = ConvolutionRecord(name: second.name, kernel: second.kernel, sources: [source], output: second.output,
                                                 statistics: second.statistics, parameters: second.parameters,
                                                 normalization: second.normalization, level: second.level, flops: second.flops)
    }

    private mutating func convolutionBackward(_ name: String, outputGradient: Int, inputNeedsGradient: Bool = true) {
        let r = records[name]!
        let sourceGradients: [Int?] = r.sources.map { inputNeedsGradient ? gradient(of: $0.tensor) : nil }
        let kind = OperationKind.convolutionBackward(kernel: r.kernel, sources: r.sources, output: r.output,
                                                     statistics: r.statistics, parameters: r.parameters,
                                                     normalization: r.normalization,
                                                     outputGradient: outputGradient, sourceGradients: sourceGradients)
        // Weight gradient always; input gradient only where a source needs one.
        let flops = r.flops * (inputNeedsGradient ? 2 : 1)
        operation("\(name).backward", .backward, kind,
                  reads: [outputGradient, r.output] + r.sources.map(\.tensor) + (r.statistics.map { [$0] } ?? []),
                  writes: [outputGradient] + sourceGradients.compactMap { $0 }, flops: flops, level: r.level)
    }

    private mutating func backward() {
        // The loss leaves d(loss)/d(logits) in the logits tensor itself.
        convolutionBackward("head", outputGradient: logits)
        var upstream = "dec0.conv2"
        for l in 0..<config.depth {
            recomputeFirstConvolution(ofBlock: "dec\(l)")
            convolutionBackward("dec\(l).conv2", outputGradient: gradient(of: records["dec\(l).conv2"]!.output))
            convolutionBackward("dec\(l).conv1", outputGradient: gradient(of: records["dec\(l).conv1"]!.output))
            // dec{l}.up = tconv(a(previous)): previous is the next deeper decoder's conv2, or the bottleneck's.
            let previous = l + 1 < config.depth ? records["dec\(l + 1).conv2"]! : records["bott.conv2"]!
            let source = normalized(previous.output, statistics: previous.statistics, parameters: previous.normalization)
            let up = graph.tensor(named: "dec\(l).up")!.id
            let j = config.depth - 1 - l
            let kind = OperationKind.transposedConvolutionBackward(source: source, outputGradient: gradient(of: up),
                                                                   sourceGradient: gradient(of: previous.output), parameters: "up.\(j)")
            operation("dec\(l).up.backward", .backward, kind, reads: [gradient(of: up), previous.output],
                      writes: [gradient(of: previous.output)], flops: 2 * graph.operations.first { $0.name == "dec\(l).up" }!.flops,
                      level: l)
            upstream = previous.name
        }
        precondition(upstream == "bott.conv2")
        recomputeFirstConvolution(ofBlock: "bott")
        convolutionBackward("bott.conv2", outputGradient: gradient(of: records["bott.conv2"]!.output))
        convolutionBackward("bott.conv1", outputGradient: gradient(of: records["bott.conv1"]!.output))
        for l in stride(from: config.depth - 1, through: 0, by: -1) {
            let skip = encoderOutputs[l]
            let pooled = poolOutputs[l]
            // The skip connection's share of the gradient is already there (from dec{l}.conv1); pooling adds its own.
            let kind = OperationKind.maxPoolBackward(source: skip, outputGradient: gradient(of: pooled),
                                                     sourceGradient: gradient(of: skip.tensor), accumulate: true)
            operation("pool\(l).backward", .backward, kind, reads: [gradient(of: pooled), skip.tensor, gradient(of: skip.tensor)],
                      writes: [gradient(of: skip.tensor)], flops: Double(voxels(skip.tensor) * channels(skip.tensor)), level: l)
            recomputeFirstConvolution(ofBlock: "enc\(l)")
            convolutionBackward("enc\(l).conv2", outputGradient: gradient(of: records["enc\(l).conv2"]!.output))
            // The image needs no gradient.
            convolutionBackward("enc\(l).conv1", outputGradient: gradient(of: records["enc\(l).conv1"]!.output),
                                inputNeedsGradient: l > 0)
        }
    }

    /// A block's convolution `X.net.0` normalises with `X.net.1`, and `X.net.3` with `X.net.4` (the positions of
    /// PyTorch's `nn.Sequential(conv, norm, relu, conv, norm, relu)`).
    static func normalizationParameters(ofConvolution parameters: String) -> String {
        precondition(parameters.hasSuffix(".net.0") || parameters.hasSuffix(".net.3"), "\(parameters) is not a block convolution")
        return parameters.dropLast() + (parameters.hasSuffix("0") ? "1" : "4")
    }
}
