// swift-tools-version:6.1
// Micro-benchmarks of meshd's per-packet path (package-benchmark), kept apart from the root
// package because the benchmark framework is heavy to build. Run with `bash bench/micro.sh`.
import PackageDescription

let package = Package(
  name: "MeshBenchmarks",
  platforms: [.macOS(.v14)],
  dependencies: [
    .package(name: "meshd", path: ".."),
    // Resolves offline only with the trait named (see shared/TOOLCHAIN.md, Benchmarks).
    .package(
      url: "https://github.com/ordo-one/package-benchmark", from: "1.38.0",
      traits: ["MallocInterposer"]),
  ],
  targets: [
    .executableTarget(
      name: "DataPath",
      dependencies: [
        .product(name: "MeshCore", package: "meshd"),
        .product(name: "Benchmark", package: "package-benchmark"),
      ],
      path: "Benchmarks/DataPath",
      plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
    )
  ]
)
