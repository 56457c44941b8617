#if canImport(Glibc)
  import Glibc
#endif

/// Where log lines go: standard error, one `write(2)` per line (so lines from several threads
/// never interleave inside a line), and the wall-clock time for their timestamps.
public enum LogSink {
  /// Writes `line` (which ends with a newline) to standard error; a failed write is dropped,
  /// as a log line must never stop the daemon.
  public static func write(_ line: String) {
    var line = line
    line.withUTF8 { bytes in
      var offset = 0
      while offset < bytes.count {
        let n = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { return }
        offset += n
      }
    }
  }

  /// The wall-clock time in UTC as RFC 3339 with milliseconds, `2026-12-05T09:56:09.123Z`.
  public static func timestamp() -> String {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    var t = ts.tv_sec
    var parts = tm()
    gmtime_r(&t, &parts)
    func pad(_ v: Int32, _ width: Int) -> String {
      let s = String(v)
      return String(repeating: "0", count: max(0, width - s.count)) + s
    }
    return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))"
      + "T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
      + ".\(pad(Int32(ts.tv_nsec / 1_000_000), 3))Z"
  }
}
