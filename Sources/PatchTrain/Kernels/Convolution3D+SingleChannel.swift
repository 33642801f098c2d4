/// The passes of a layer with one input channel (the image into the first block) for a multiple of 16 output
/// channels, without GEMM: with Cin = 1 the GEMM's inner dimension is 3 or 9, where OpenBLAS ran at ~20 GFLOP/s.
/// Each output voxel is 27 multiply-adds of a scalar neighbour by a 16-lane vector of weights; the weight gradient
/// is, per tap, a sum of a scalar neighbour times a 16-lane vector of dY. Both use the forward's workspace layout
/// budget (nine padded neighbour rows and one output row per worker), well within `workspaceFloats`.
extension Convolution3D {
    var takesSingleChannelPath: Bool { plan.inputChannels == 1 && plan.outputChannels % 16 == 0 }

    func forwardSingleChannel(source: ActivationSource, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                              output: ActivationTensor, workspace: UnsafeMutableRawPointer) {
        let cout = plan.outputChannels, groups = cout / 16, ez = plan.extent.z, p = ez + 2
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        let perWorker = ConvolutionPlan.planeTaps * p + ez * cout
        let w = UnsafeRawPointer(weights)
        forEachWorker { worker, firstRow, endRow in
            let neighbours = floats + worker * perWorker, tile = neighbours + ConvolutionPlan.planeTaps * p
            let out = UnsafeMutableRawPointer(tile)
            for row in firstRow..<endRow {
                // neighbours[zp·9 + plane]: the input at in-plane tap `plane`, padded z position zp.
                gatherPlaneNeighbourhoods([source], direction: 1, firstRow: row, rowCount: 1, into: neighbours)
                for j in 0..<groups {
                    let start = UnsafeRawPointer(bias + 16 * j).loadUnaligned(as: SIMD16<Float>.self)
                    let group = w + 64 * j
                    // Tap (plane, kz) of voxel z reads padded voxel z + kz; its weights sit at tap·cout (wrapping
                    // arithmetic: the checked index arithmetic was half the loop).
                    func weight(_ plane: Int, _ kz: Int) -> SIMD16<Float> {
                        group.loadUnaligned(fromByteOffset: 4 &* ((3 &* plane &+ kz) &* cout), as: SIMD16<Float>.self)
                    }
                    func put(_ sum: SIMD16<Float>, _ z: Int) {
                        out.storeBytes(of: sum, toByteOffset: 4 &* (z &* cout &+ 16 &* j), as: SIMD16<Float>.self)
                    }
                    var z = 0
                    // Four voxels at a time: four independent chains of fused multiply-adds (a single chain waits
                    // on each add's latency), each weight vector loaded once for the four.
                    while z &+ 4 <= ez {
                        let window = neighbours + 9 &* z
                        var s0 = start, s1 = start, s2 = start, s3 = start
                        for plane in 0..<9 {
                            for kz in 0..<3 {
                                let w = weight(plane, kz), tap = window + (9 &* kz &+ plane)
                                s0 = s0.addingProduct(tap[0], w)
                                s1 = s1.addingProduct(tap[9], w)
                                s2 = s2.addingProduct(tap[18], w)
                                s3 = s3.addingProduct(tap[27], w)
                            }
                        }
                        put(s0, z)
                        put(s1, z &+ 1)
                        put(s2, z &+ 2)
                        put(s3, z &+ 3)
                        z &+= 4
                    }
                    while z < ez {
                        let window = neighbours + 9 &* z
                        var sum = start
                        for plane in 0..<9 {
                            for kz in 0..<3 { sum = sum.addingProduct(window[9 &* kz &+ plane], weight(plane, kz)) }
                        }
                        put(sum, z)
                        z &+= 1
                    }
                }
                store(tile, channels: cout, firstRow: row, rowCount: 1, into: [output], accumulate: false)
            }
        }
    }

    func backwardWeightsSingleChannel(source: ActivationSource, outputGradient: ActivationTensor,
                                      weightGradient: UnsafeMutablePointer<Float>, biasGradient: UnsafeMutablePointer<Float>,
                                      workspace: UnsafeMutableRawPointer) {
        let cout = plan.outputChannels, groups = cout / 16, ez = plan.extent.z, p = ez + 2, taps = ConvolutionPlan.taps
        let floats = workspace.bindMemory(to: Float.self, capacity: plan.workspaceFloats)
        // Per worker: the tap sums [27][cout] and the bias sums [cout] (fp32, added per row), nine neighbour rows, dY.
        let perWorker = (taps + 1) * cout + ConvolutionPlan.planeTaps * p + ez * cout
        forEachWorker { worker, firstRow, endRow in
            let sums = floats + worker * perWorker, neighbours = sums + (taps + 1) * cout
            let dy = neighbours + ConvolutionPlan.planeTaps * p
            sums.update(repeating: 0, count: (taps + 1) * cout)
            let totals = UnsafeMutableRawPointer(sums), gradient = UnsafeRawPointer(dy)
            for row in firstRow..<endRow {
                gatherPlaneNeighbourhoods([source], direction: 1, firstRow: row, rowCount: 1, into: neighbours)
                outputGradient.read(at: row * ez * cout, count: ez * cout, into: dy)
                for j in 0..<groups {
                    for plane in 0..<9 {
                        for kz in 0..<3 {
                            let at = 4 &* ((3 &* plane &+ kz) &* cout &+ 16 &* j)
                            // Four partial sums over z in turn: four independent chains of fused multiply-adds.
                            var s0 = SIMD16<Float>.zero, s1 = s0, s2 = s0, s3 = s0
                            let window = neighbours + (9 &* kz &+ plane), dz = gradient + 64 &* j
                            func upstream(at z: Int) -> SIMD16<Float> {
                                dz.loadUnaligned(fromByteOffset: 4 &* z &* cout, as: SIMD16<Float>.self)
                            }
                            var z = 0
                            while z &+ 4 <= ez {
                                s0 = s0.addingProduct(window[9 &* z], upstream(at: z))
                                s1 = s1.addingProduct(window[9 &* (z &+ 1)], upstream(at: z &+ 1))
                                s2 = s2.addingProduct(window[9 &* (z &+ 2)], upstream(at: z &+ 2))
                                s3 = s3.addingProduct(window[9 &* (z &+ 3)], upstream(at: z &+ 3))
                                z &+= 4
                            }
                            while z < ez {
                                s0 = s0.addingProduct(window[9 &* z], upstream(at: z))
                                z &+= 1
                            }
                            let sum = (s0 + s1) + (s2 + s3)
                            totals.storeBytes(of: totals.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) + sum,
                                              toByteOffset: at, as: SIMD16<Float>.self)
                        }
                    }
                    var bias = SIMD16<Float>.zero
                    for z in 0..<ez { bias += gradient.loadUnaligned(fromByteOffset: 4 * (z * cout + 16 * j), as: SIMD16<Float>.self) }
                    let at = 4 * (taps * cout + 16 * j)
                    totals.storeBytes(of: totals.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) + bias,
                                      toByteOffset: at, as: SIMD16<Float>.self)
                }
            }
        }
        for worker in 0..<plan.workers {
            let sums = floats + worker * perWorker
            for i in 0..<(taps * cout) { weightGradient[i] += sums[i] }
            for o in 0..<cout { biasGradient[o] += sums[taps * cout + o] }
        }
    }
}
