import MeshIO

#if canImport(Glibc)
  import Glibc
#endif

/// Starts a plain POSIX thread running a closure: the data thread is a real thread of its
/// own, not a task on Swift's cooperative pool, because it blocks in `epoll_wait`.
enum DataThread {
  /// The closure, boxed so that its pointer can cross `pthread_create`.
  private final class Body {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
  }

  /// Runs `body` on a new thread and returns the thread, for `pthread_join`.
  static func spawn(_ body: @escaping () -> Void) throws -> pthread_t {
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Body(body)).toOpaque()
    let rc = pthread_create(
      &thread, nil,
      { raw in
        Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
      }, box)
    guard rc == 0 else {
      Unmanaged<Body>.fromOpaque(box).release()
      throw SystemError(call: "pthread_create", errno: rc)
    }
    return thread
  }
}
