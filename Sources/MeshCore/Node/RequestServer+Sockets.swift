import MeshIO

/// The control API's socket: a Unix listener whose connections are made non-blocking here.
extension UnixSocketListener: RequestListener {
  func acceptWaiting() -> UnixStream? {
    guard waitForConnection(timeoutMilliseconds: 0), let stream = try? accept() else {
      return nil
    }
    guard (try? stream.setNonBlocking(true)) != nil else {
      stream.close()
      return nil
    }
    return stream
  }
}

extension UnixStream: RequestStream {
  func readAvailable(max: Int) throws -> [UInt8]? {
    do {
      return try read(max: max)
    } catch let e as SystemError where e.isWouldBlock {
      return nil
    }
  }

  func answer(_ bytes: [UInt8], timeoutSeconds: Double) {
    _ = try? setNonBlocking(false)
    _ = try? setSendTimeout(seconds: timeoutSeconds)
    try? writeAll(bytes)
  }
}

/// The metrics port's socket: a TCP listener, whose connections arrive non-blocking.
extension TCPListener: RequestListener {
  func acceptWaiting() -> TCPStream? {
    (try? accept())??.0
  }
}

extension TCPStream: RequestStream {
  func readAvailable(max: Int) throws -> [UInt8]? {
    var buffer = [UInt8](repeating: 0, count: max)
    guard let n = try buffer.withUnsafeMutableBytes({ try read(into: $0) }) else { return nil }
    return Array(buffer.prefix(n))
  }

  func answer(_ bytes: [UInt8], timeoutSeconds: Double) {
    _ = try? setBlocking(sendTimeoutSeconds: timeoutSeconds)
    try? writeAll(bytes)
  }
}
