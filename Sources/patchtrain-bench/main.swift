import PatchTrain

// Subcommands: `conv` (convolution kernels vs sgemm). With no argument, every benchmark runs.
let arguments = CommandLine.arguments.dropFirst()
if arguments.isEmpty || arguments.contains("conv") {
    runConvolutionBenchmark()
}
