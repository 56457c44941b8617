// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "meshd",
  products: [
    .library(name: "MeshCore", targets: ["MeshCore"]),
    .executable(name: "meshd", targets: ["meshd"]),
    .executable(name: "embed-mesh", targets: ["EmbedMesh"]),
    .executable(name: "FuzzDatagram", targets: ["FuzzDatagram"]),
    .executable(name: "FuzzHandshake", targets: ["FuzzHandshake"]),
    .executable(name: "FuzzControl", targets: ["FuzzControl"]),
    .executable(name: "FuzzConfig", targets: ["FuzzConfig"]),
    .executable(name: "FuzzNetlink", targets: ["FuzzNetlink"]),
    .executable(name: "FuzzGossip", targets: ["FuzzGossip"]),
    .executable(name: "FuzzDNS", targets: ["FuzzDNS"]),
    .executable(name: "mesh-sim", targets: ["MeshSim"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CSodium",
      pkgConfig: "libsodium",
      providers: [.apt(["libsodium-dev"])]
    ),
    .target(
      name: "CMeshShim",
      cSettings: [.define("_GNU_SOURCE")]
    ),
    // The layers, from the bottom. Each target may import only the ones above it in this
    // list; the compiler refuses the rest. README.md, "Architecture", draws this graph.
    //
    // Domain values: MAC addresses, peer IDs, endpoints, subnets, the clock protocol. Pure.
    .target(name: "MeshTypes"),
    // The protocol: libsodium primitives, the Noise handshake, wire codecs, UDP run merging.
    // Pure (no system calls); libsodium is its only C dependency.
    .target(name: "MeshProtocol", dependencies: ["MeshTypes", "CSodium"]),
    // The engine: sessions, switch, gossip, routes, IPAM, and `MeshEngine` that joins them.
    // Pure value-type state machines with an injected clock and randomness.
    .target(name: "MeshLogic", dependencies: ["MeshTypes", "MeshProtocol"]),
    // The only code that makes system calls: TAP, UDP sockets, rtnetlink, epoll, files.
    .target(
      name: "MeshIO",
      dependencies: ["MeshTypes", "CMeshShim", "CSodium"]
    ),
    // The control API's codecs (HTTP/1.1, JSON, routes), shared by the daemon and the CLI.
    .target(name: "MeshAPI", dependencies: ["MeshTypes", "MeshLogic"]),
    // The runtime (`MeshNode`, its data thread, the control server, the state directory) and
    // the one import an embedder needs: it re-exports the layers below.
    .target(
      name: "MeshCore",
      dependencies: [
        "MeshTypes", "MeshProtocol", "MeshLogic", "MeshIO", "MeshAPI",
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    .executableTarget(
      name: "meshd",
      dependencies: [
        "MeshCore", "MeshIO", "MeshAPI",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "UnixSignals", package: "swift-service-lifecycle"),
      ]
    ),
    .executableTarget(
      name: "EmbedMesh",
      dependencies: ["MeshCore"],
      path: "Examples/EmbedMesh"
    ),
    .executableTarget(
      name: "FuzzDatagram",
      dependencies: ["MeshCore", "MeshAPI"],
      path: "Fuzz/FuzzDatagram",
      exclude: ["corpus"]
    ),
    .executableTarget(
      name: "FuzzHandshake",
      dependencies: ["MeshCore"],
      path: "Fuzz/FuzzHandshake",
      exclude: ["corpus"]
    ),
    .executableTarget(
      name: "FuzzControl",
      dependencies: ["MeshCore", "MeshAPI"],
      path: "Fuzz/FuzzControl",
      exclude: ["corpus"]
    ),
    .executableTarget(
      name: "FuzzConfig",
      dependencies: ["MeshCore", "MeshIO"],
      path: "Fuzz/FuzzConfig",
      exclude: ["corpus"]
    ),
    .executableTarget(
      name: "FuzzNetlink",
      dependencies: ["MeshCore", "MeshIO"],
      path: "Fuzz/FuzzNetlink",
      exclude: ["corpus"]
    ),
    .executableTarget(
      name: "FuzzGossip",
      dependencies: ["MeshCore"],
      path: "Fuzz/FuzzGossip",
      exclude: ["corpus"]
    ),
    .executableTarget(
      name: "FuzzDNS",
      dependencies: ["MeshCore"],
      path: "Fuzz/FuzzDNS",
      exclude: ["corpus"]
    ),
    .executableTarget(
      name: "MeshSim",
      dependencies: ["MeshCore", "MeshIO"],
      path: "Benchmarks/MeshSim"
    ),
    .testTarget(
      name: "MeshCoreTests",
      dependencies: ["MeshCore", "MeshIO", "MeshAPI"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "IntegrationTests",
      dependencies: ["MeshCore", "MeshIO", "MeshAPI"]
    ),
  ]
)
