import Foundation
import Testing

@testable import MeshCore
@testable import MeshIO
@testable import MeshLogic

extension MeshIntegration {
  /// A non-member floods a member's mesh port. The flooder is `bench/flood.py` (the same one
  /// `bench/flood.sh` measures with): sendmmsg at full speed, a mix of handshake-shaped
  /// datagrams (type 1 or 2, 148–180 bytes, random content, so mac1 fails) and random ones.
  /// Behaviour only, no speed: the session must stay up, the tunnel must keep carrying pings,
  /// and the daemon must count the flood as drops and survive it.
  @Suite("Handshake flood")
  struct FloodTests {
    /// How long the flood lasts, in seconds.
    static let floodSeconds = 10
    /// The least share of pings through the mesh that must be answered during the flood.
    static let minimumReplyShare = 0.8
    /// The least number of new mac1 and malformed drops on B that proves the flood arrived.
    static let minimumDrops = 10_000

    /// One poll of both daemons during the flood: whether each lists the other as established
    /// (nil when its status could not be read).
    struct SessionPoll: CustomStringConvertible {
      var seconds: Double
      var aSeesB: Bool?
      var bSeesA: Bool?
      var isEstablished: Bool { aSeesB == true && bSeesA == true }
      var description: String {
        String(format: "%.1f s: A→B %@, B→A %@", seconds, label(aSeesB), label(bSeesA))
      }

      /// "established", "not established" or "no status".
      private func label(_ value: Bool?) -> String {
        value.map { $0 ? "established" : "not established" } ?? "no status"
      }
    }

    /// The `(transmitted, received)` counts from a ping summary line
    /// ("50 packets transmitted, 48 received, …").
    static func pingCounts(_ output: String) -> (sent: Int, received: Int)? {
      for line in output.split(separator: "\n") where line.contains("packets transmitted") {
        let numbers = line.split(separator: ",").compactMap { part in
          part.split(separator: " ").first.flatMap { Int($0) }
        }
        if numbers.count >= 2 { return (numbers[0], numbers[1]) }
      }
      return nil
    }

    /// The number of datagrams the flooder reports it sent (its JSON line's `sent`).
    static func floodSent(_ output: String) -> Int? {
      for line in output.split(separator: "\n").reversed() {
        guard let data = line.data(using: .utf8),
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
          let sent = object["sent"] as? Int
        else { continue }
        return sent
      }
      return nil
    }

    @Test("10 s of flood from a non-member: session stays up, pings answered, drops counted")
    func survivesFlood() async throws {
      guard let root = IntegrationEnvironment.packageRoot() else {
        throw HarnessError("cannot find the package root for bench/flood.py")
      }
      let flooder = root.appendingPathComponent("bench/flood.py").path
      let net = try TestNetwork(hostCount: 3)
      defer { net.shutdown() }
      let (a, b, c) = (net.host(1), net.host(2), net.host(3))
      let secret = try net.makeSecretFile()
      try net.startMeshd(on: a, peers: [b], secret: secret)
      let daemonB = try net.startMeshd(on: b, secret: secret)
      try await net.requireEstablished(a, b)
      try await net.requirePing(from: a, to: b.overlayIP)
      let (idA, idB) = (try net.status(a).peerID, try net.status(b).peerID)
      let dropsBefore = try net.status(b).dropCount("mac1", "malformed")
      let countingSince = Date()

      let seconds = FloodTests.floodSeconds
      let flood = try net.spawn(
        in: c, name: "flood",
        [
          "python3", flooder, "--to", b.underlayIP, "--port", "\(NetnsHost.meshPort)",
          "--seconds", "\(seconds)", "--procs", "1",
        ])
      let pings = try net.spawn(
        in: a, name: "ping",
        ["ping", "-n", "-q", "-i", "0.2", "-c", "\(seconds * 5)", "-W", "1", b.overlayIP])

      var polls: [SessionPoll] = []
      let start = Date()
      while Date().timeIntervalSince(start) < Double(seconds) {
        let sa = try? net.status(a)
        let sb = try? net.status(b)
        polls.append(
          SessionPoll(
            seconds: Date().timeIntervalSince(start), aSeesB: sa?.isEstablished(with: idB),
            bSeesA: sb?.isEstablished(with: idA)))
        try await Task.sleep(nanoseconds: 500_000_000)
      }
      #expect(flood.waitForExit(timeout: 20), "the flooder did not stop by itself")
      #expect(pings.waitForExit(timeout: 20), "ping did not finish")

      let sent = FloodTests.floodSent(flood.log()) ?? 0
      let status = try net.status(b)
      let drops = status.dropCount("mac1", "malformed") - dropsBefore
      // B reads strangers within a budget per 100 ms tick and pauses the mesh port once a
      // budget buys only junk, so however fast C sends, B reads no more than this.
      let ticks = Int(Date().timeIntervalSince(countingSince) / MeshEngine.tickInterval) + 2
      let budgetBound = ticks * NodeLoop<TapDevice, UDPSocketFactory, SystemClock>.strangerBudget
      print(
        "flood: C sent \(sent) datagrams in \(seconds) s; B counted \(drops) new mac1/malformed "
          + "drops; all drops: \(status.drops); ping: \(pings.log())")

      #expect(daemonB.isRunning, "B died under the flood\n\(net.diagnostics())")
      let broken = polls.filter { !$0.isEstablished }
      #expect(polls.count >= seconds, "only \(polls.count) status polls")
      #expect(
        broken.isEmpty,
        "the session was not established at \(broken.count) of \(polls.count) polls: \(broken)")
      let counts = FloodTests.pingCounts(pings.log())
      #expect(counts != nil, "no ping summary: \(pings.log())")
      if let counts {
        let share = Double(counts.received) / Double(max(counts.sent, 1))
        #expect(
          counts.sent >= seconds * 5 && share >= FloodTests.minimumReplyShare,
          "\(counts.received) of \(counts.sent) pings answered during the flood")
      }
      #expect(
        drops >= FloodTests.minimumDrops,
        "only \(drops) new mac1/malformed drops on B (flooder sent \(sent)): \(status.drops)")
      #expect(
        drops <= budgetBound,
        "B read \(drops) flood datagrams, more than its budget allows (\(budgetBound)); C sent \(sent)"
      )
      try await net.requirePing(from: a, to: b.overlayIP, timeout: 10)
    }
  }
}
