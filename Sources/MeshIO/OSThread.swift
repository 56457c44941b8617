import CMeshShim

#if canImport(Glibc)
  import Glibc
#endif

/// A plain POSIX thread running a closure. The data thread and the control server's thread
/// are real threads of their own, not tasks on Swift's cooperative pool, because they block
/// in `epoll_wait` and `poll`.
public final class OSThread: @unchecked Sendable {
  /// The closure, boxed so that its pointer can cross `pthread_create`.
  private final class Body {
    let name: String
    let run: () -> Void
    init(_ name: String, _ run: @escaping () -> Void) {
      self.name = name
      self.run = run
    }
  }

  private var handle: pthread_t?

  private init(handle: pthread_t) { self.handle = handle }

  /// Runs `body` on a new thread named `name` (what `top -H`, `ps -L` and `perf` show; the
  /// kernel keeps the first 15 bytes).
  public static func spawn(name: String, _ body: @escaping () -> Void) throws -> OSThread {
    var thread = pthread_t()
    let box = Unmanaged.passRetained(Body(name, body)).toOpaque()
    let rc = pthread_create(
      &thread, nil,
      { raw in
        let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
        // Cosmetic: a name the kernel refuses leaves the process's.
        _ = cmesh_set_thread_name(body.name)
        body.run()
        return nil
      }, box)
    guard rc == 0 else {
      Unmanaged<Body>.fromOpaque(box).release()
      throw SystemError(call: "pthread_create", errno: rc)
    }
    return OSThread(handle: thread)
  }

  /// Waits for the thread to end; calling it again does nothing.
  public func join() {
    guard let handle else { return }
    self.handle = nil
    pthread_join(handle, nil)
  }
}
