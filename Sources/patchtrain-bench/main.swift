import PatchTrain

BLASCoreType.reexecuteWithDetectedCoreTypeIfNeeded()

// Subcommands: `conv` (convolution kernels vs sgemm), `block` (a conv block fwd+bwd). With no argument, all run.
let arguments = CommandLine.arguments.dropFirst()
if arguments.isEmpty || arguments.contains("conv") {
    runConvolutionBenchmark()
}
if arguments.isEmpty || arguments.contains("block") {
    runConvolutionBlockBenchmark()
}
