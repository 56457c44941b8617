import Foundation
import Testing

@testable import MeshCore
@testable import MeshIO

@Suite struct IOUnixSocketTests {
  private func withTempDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let dir = "/tmp/mshio-\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    return try body(dir)
  }

  @Test func echoWithMode0660() throws {
    try withTempDirectory { dir in
      let path = dir + "/ctl.sock"
      let listener = try UnixSocketListener(path: path)
      var info = stat()
      #expect(lstat(path, &info) == 0)
      #expect(info.st_mode & S_IFMT == S_IFSOCK)
      #expect(info.st_mode & 0o777 == 0o660)

      let done = DispatchSemaphore(value: 0)
      Thread.detachNewThread {
        defer { done.signal() }
        guard let server = try? listener.accept() else { return }
        while let bytes = try? server.read(max: 512), !bytes.isEmpty {
          try? server.writeAll(bytes)
        }
      }
      let client = try UnixStream.connect(path: path)
      try client.setReceiveTimeout(seconds: 5)
      let request = Array("GET /status HTTP/1.1\r\n\r\n".utf8)
      try client.writeAll(request)
      var echoed: [UInt8] = []
      while echoed.count < request.count {
        let chunk = try client.read(max: 512)
        if chunk.isEmpty { break }
        echoed += chunk
      }
      #expect(echoed == request)
      try client.shutdownWrite()
      #expect(try client.read(max: 16).isEmpty)
      done.wait()

      // A second listener refuses to steal a live socket.
      #expect(throws: SystemError.self) { try UnixSocketListener(path: path) }
      listener.close()
      #expect(access(path, F_OK) != 0)
    }
  }

  @Test func receiveTimeout() throws {
    try withTempDirectory { dir in
      let listener = try UnixSocketListener(path: dir + "/t.sock")
      let client = try UnixStream.connect(path: dir + "/t.sock")
      let server = try listener.accept()
      try client.setReceiveTimeout(seconds: 0.05)
      let error = try #require(throws: SystemError.self) { try client.read(max: 8) }
      #expect(error.isWouldBlock)
      server.close()
    }
  }

  @Test func staleSocketReplacedOtherFilesKept() throws {
    try withTempDirectory { dir in
      let path = dir + "/stale.sock"
      // A bound socket with no listener: what a crashed daemon leaves behind.
      let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
      var address = sockaddr_un()
      let length = try UnixSocketAddress.fill(&address, path: path)
      let rc = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
      }
      #expect(rc == 0)
      close(fd)
      let listener = try UnixSocketListener(path: path)
      listener.close()

      let file = dir + "/plain"
      #expect(FileManager.default.createFile(atPath: file, contents: Data([1])))
      let error = try #require(throws: SystemError.self) { try UnixSocketListener(path: file) }
      #expect(error.errno == EEXIST)
      #expect(FileManager.default.fileExists(atPath: file))
    }
  }

  @Test func pathTooLong() throws {
    let path = "/tmp/" + String(repeating: "m", count: 120)
    let error = try #require(throws: SystemError.self) { try UnixSocketListener(path: path) }
    #expect(error.errno == ENAMETOOLONG)
    #expect(error.description.contains("sun_path"))
    #expect(throws: SystemError.self) { try UnixStream.connect(path: path) }
  }
}
