// An example of embedding MeshCore through its public API alone: join this host's bridge to
// a mesh, print events for a while, print the status, and stop.
//
//   embed-mesh BRIDGE LISTEN SECRET-FILE STATE-DIR SECONDS [PEER...]
//
// It uses no command-line library on purpose: the point is the MeshCore calls.
import MeshCore

#if canImport(Glibc)
  import Glibc
#endif

func fail(_ message: String, code: Int32) -> Never {
  let line = Array((message + "\n").utf8)
  _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
  exit(code)
}

let args = CommandLine.arguments
guard args.count >= 6, let listen = Endpoint(args[2]), let seconds = Double(args[5]) else {
  fail("usage: embed-mesh BRIDGE LISTEN SECRET-FILE STATE-DIR SECONDS [PEER...]", code: 2)
}
do {
  let secret = try StateDirectory.readSecret(args[3])
  let key = try StateDirectory(path: args[4]).loadOrCreateKey()
  let engine = MeshEngineConfiguration(
    privateKey: key, nickname: "embedded", clusterSecrets: [secret])
  var config = MeshNodeConfiguration(engine: engine, bridge: args[1], listen: listen)
  config.tapName = "embedtap0"
  config.peers = args.dropFirst(6).compactMap { Endpoint($0) }

  let node = MeshNode(configuration: config)
  try node.start()
  let watcher = Task {
    for await event in node.events { print("event: \(event)") }
  }
  try await Task.sleep(for: .seconds(seconds))
  let status = await node.status()
  for peer in status.peers {
    print("peer \(peer.nickname) \(peer.endpoint) \(peer.state) rx=\(peer.rxBytes) tx=\(peer.txBytes)")
  }
  node.stop()
  await watcher.value
} catch {
  fail("embed-mesh: \(error)", code: 1)
}
