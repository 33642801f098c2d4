// swift-tools-version:6.1
import PackageDescription

// Release builds get their CPU flags (F16C/AVX2 for fp16 conversions) from the Makefile,
// so that a plain `swift build` still works on any x86-64 or arm64 machine.
let package = Package(
    name: "patchtrain",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "patchtrain", targets: ["patchtrain"]),
        .library(name: "PatchTrain", targets: ["PatchTrain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // C libraries from the system (Debian: libopenblas-dev, libzstd-dev, zlib1g-dev, libpng-dev); module maps only.
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd"),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG"),
        // renameat2(RENAME_EXCHANGE) for the atomic checkpoint folder swap; a header of static inline wrappers.
        .systemLibrary(name: "CSystemCalls", path: "Sources/CSystemCalls"),
        // Open MPI (Debian: libopenmpi-dev, openmpi-bin) for data-parallel runs under mpirun or srun; the shim
        // turns its handle macros into functions.
        .systemLibrary(name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c"),
        .target(
            name: "PatchTrain",
            dependencies: ["CBLAS", "CZstd", "CZlib", "CPNG", "CSystemCalls", "CMPI"]
        ),
        .executableTarget(
            name: "patchtrain",
            dependencies: [
                "PatchTrain",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "patchtrain-bench",
            dependencies: ["PatchTrain"]
        ),
        .testTarget(
            name: "PatchTrainTests",
            dependencies: ["PatchTrain"]
        ),
    ]
)
