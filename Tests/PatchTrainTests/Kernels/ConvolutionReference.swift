@testable import PatchTrain

/// Direct (loop-nest) 3×3×3 "same" convolution in fp64, written independently of the kernels, from the definition
/// out[n,u,co] = b[co] + Σ_{k,ci} in[n,u+k−1,ci] · w[k,ci,co] with zero padding; weights `[kx][ky][kz][ci][co]`.
func referenceConvolution(_ input: [Double], batch: Int, extent e: Extent3, inputChannels cin: Int,
                          weights: [Float], bias: [Float], outputChannels cout: Int) -> [Double] {
    var out = [Double](repeating: 0, count: batch * e.volume * cout)
    for n in 0..<batch { for x in 0..<e.x { for y in 0..<e.y { for z in 0..<e.z { for co in 0..<cout {
        var s = Double(bias[co])
        for kx in 0..<3 { for ky in 0..<3 { for kz in 0..<3 {
            let xs = x + kx - 1, ys = y + ky - 1, zs = z + kz - 1
            guard xs >= 0, xs < e.x, ys >= 0, ys < e.y, zs >= 0, zs < e.z else { continue }
            for ci in 0..<cin {
                let w = Double(weights[(((kx * 3 + ky) * 3 + kz) * cin + ci) * cout + co])
                s += input[index(n, xs, ys, zs, ci, extent: e, channels: cin)] * w
            }
        } } }
        out[index(n, x, y, z, co, extent: e, channels: cout)] = s
    } } } } }
    return out
}

/// Channel concatenation `[a, b]` of two channel-last tensors.
func concatenateChannels(_ a: [Double], _ ca: Int, _ b: [Double], _ cb: Int, voxels: Int) -> [Double] {
    var out = [Double]()
    out.reserveCapacity(voxels * (ca + cb))
    for v in 0..<voxels {
        out.append(contentsOf: a[(v * ca)..<(v * ca + ca)])
        out.append(contentsOf: b[(v * cb)..<(v * cb + cb)])
    }
    return out
}

/// The weights of dX as the direct convolution of dY: mirrored in space and transposed in channels,
/// `W′[k][co][ci] = W[2 − k][ci][co]` per axis.
func mirroredWeights(_ w: [Float], cin: Int, cout: Int) -> [Float] {
    var out = [Float](repeating: 0, count: w.count)
    for t in 0..<27 {
        let kx = t / 9, ky = (t / 3) % 3, kz = t % 3
        let from = ((2 - kx) * 3 + 2 - ky) * 3 + 2 - kz
        for ci in 0..<cin { for co in 0..<cout { out[(t * cout + co) * cin + ci] = w[(from * cin + ci) * cout + co] } }
    }
    return out
}

/// dX of `referenceConvolution` for the output gradient `dy`, in fp64: the direct convolution of dY with the mirrored
/// weights and no bias.
func referenceInputGradient(_ dy: [Double], batch: Int, extent e: Extent3, weights: [Float], inputChannels cin: Int,
                            outputChannels cout: Int) -> [Double] {
    referenceConvolution(dy, batch: batch, extent: e, inputChannels: cout,
                         weights: mirroredWeights(weights, cin: cin, cout: cout),
                         bias: [Float](repeating: 0, count: cin), outputChannels: cin)
}

/// The weight gradient of `referenceConvolution` from the definition, in fp64: dW[k,ci,co] = Σ_{n,u} in[n,u+k−1,ci] ·
/// dY[n,u,co] with zero padding, laid out `[kx][ky][kz][ci][co]`.
func referenceWeightGradient(_ input: [Double], _ dy: [Double], batch: Int, extent e: Extent3, inputChannels cin: Int,
                             outputChannels cout: Int) -> [Double] {
    var out = [Double](repeating: 0, count: 27 * cin * cout)
    for n in 0..<batch { for x in 0..<e.x { for y in 0..<e.y { for z in 0..<e.z {
        for kx in 0..<3 { for ky in 0..<3 { for kz in 0..<3 {
            let xs = x + kx - 1, ys = y + ky - 1, zs = z + kz - 1
            guard xs >= 0, xs < e.x, ys >= 0, ys < e.y, zs >= 0, zs < e.z else { continue }
            for ci in 0..<cin {
                let a = input[index(n, xs, ys, zs, ci, extent: e, channels: cin)]
                for co in 0..<cout {
                    out[(((kx * 3 + ky) * 3 + kz) * cin + ci) * cout + co] += a * dy[index(n, x, y, z, co, extent: e, channels: cout)]
                }
            }
        } } }
    } } } }
    return out
}
