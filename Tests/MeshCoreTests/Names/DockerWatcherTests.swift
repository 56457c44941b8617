import Foundation
import Logging
import Synchronization
import Testing

@testable import MeshAPI
@testable import MeshCore
@testable import MeshIO
@testable import MeshLogic

/// The Docker watcher against a fake engine on a Unix socket: it waits for an engine that is
/// not there yet, follows a chunked event stream cut anywhere, and after the engine restarts
/// lists again, so a container that went while it was away is not left registered.
@Suite(.serialized) struct DockerWatcherTests {
  /// A stand-in for dockerd: answers `GET /containers/json` with `containers` and keeps each
  /// `GET /events` stream open, chunked, for `push`.
  final class FakeEngine: @unchecked Sendable {
    let listener: UnixSocketListener
    let containers: Mutex<String>
    private let streams = Mutex<[UnixStream]>([])
    private let running = Atomic<Bool>(true)
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    init(path: String, containers: String) throws {
      listener = try UnixSocketListener(path: path, mode: 0o600)
      self.containers = Mutex(containers)
      let thread = Thread { [self] in serve() }
      self.thread = thread
      thread.start()
    }

    func serve() {
      defer { done.signal() }
      while running.load(ordering: .relaxed) {
        guard listener.waitForConnection(timeoutMilliseconds: 50),
          let stream = try? listener.accept()
        else { continue }
        try? stream.setReceiveTimeout(seconds: 2)
        var request: [UInt8] = []
        while !request.ends(with: Array("\r\n\r\n".utf8)),
          let chunk = try? stream.read(max: 1024), !chunk.isEmpty
        {
          request += chunk
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
        if line.hasPrefix("GET /events") {
          try? stream.writeAll(
            Array(
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                .utf8))
          streams.withLock { $0.append(stream) }
        } else {
          let body = Array(containers.withLock { $0 }.utf8)
          try? stream.writeAll(
            Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
          stream.close()
        }
      }
    }

    /// Sends `text` on every open event stream as chunks of at most `cut` bytes.
    func push(_ text: String, cut: Int) {
      let bytes = Array(text.utf8)
      streams.withLock { streams in
        for stream in streams {
          var start = 0
          while start < bytes.count {
            let piece = bytes[start..<min(start + cut, bytes.count)]
            try? stream.writeAll(
              Array(String(piece.count, radix: 16).utf8) + [13, 10] + piece + [13, 10])
            start += cut
          }
        }
      }
    }

    /// Goes away as a dockerd that stops: streams closed, the socket removed.
    func stop() {
      running.store(false, ordering: .relaxed)
      done.wait()
      streams.withLock { streams in
        for stream in streams { stream.close() }
        streams = []
      }
      listener.close()
    }
  }

  static func list(_ names: [String]) -> String {
    "["
      + names.enumerated().map { index, name in
        #"{"Id":"id-\#(name)","Names":["/\#(name)"],"Labels":{},"Ports":[],"#
          + #""NetworkSettings":{"Networks":{"bridge":{"IPAddress":"10.47.1.\#(index + 2)"}}}}"#
      }.joined(separator: ",") + "]"
  }

  @Test func waitsFollowsAndListsAgainAfterARestart() async throws {
    let dir = "/tmp/mshio-dw\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let path = dir + "/docker.sock"
    let reports = Mutex<[[String]]>([])
    let watcher = DockerWatcher(socketPath: path, logger: Logger(label: "test")) { containers in
      reports.withLock { $0.append(containers.map(\.name).sorted()) }
    }
    try watcher.start()
    defer { watcher.stop() }
    func latest() -> [String]? { reports.withLock { $0.last } }
    func waitFor(_ names: [String]) async -> Bool {
      for _ in 0..<200 {
        if latest() == names { return true }
        try? await Task.sleep(for: .milliseconds(50))
      }
      return false
    }

    // No engine yet: nothing is reported; then it comes up and is listed.
    try await Task.sleep(for: .milliseconds(300))
    #expect(latest() == nil)
    var engine = try FakeEngine(path: path, containers: Self.list(["web"]))
    #expect(await waitFor(["web"]), "reports: \(reports.withLock { $0 })")

    // A container starts: the event arrives cut into 7-byte chunks; the list is taken again.
    engine.containers.withLock { $0 = Self.list(["web", "db"]) }
    engine.push(#"{"Type":"container","Action":"start","Actor":{"ID":"id-db"}}"# + "\n", cut: 7)
    #expect(await waitFor(["db", "web"]), "reports: \(reports.withLock { $0 })")

    // A die event outruns the list: the container is left out at once.
    engine.push(#"{"Type":"container","Action":"die","Actor":{"ID":"id-db"}}"# + "\n", cut: 100)
    #expect(await waitFor(["web"]), "reports: \(reports.withLock { $0 })")

    // The engine restarts; web went while it was away: the new list does not keep it.
    engine.stop()
    engine = try FakeEngine(path: path, containers: Self.list(["db"]))
    defer { engine.stop() }
    #expect(await waitFor(["db"]), "reports: \(reports.withLock { $0 })")
  }
}

extension Array where Element == UInt8 {
  fileprivate func ends(with suffix: [UInt8]) -> Bool {
    count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
  }
}
