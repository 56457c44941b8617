import CMeshShim

#if canImport(Glibc)
  import Glibc
#endif

/// Entering Linux network namespaces, for tools and tests that manage links inside a namespace
/// (for example one created with `ip netns add`, whose handle is `/run/netns/NAME`).
///
/// `setns(2)` moves only the calling thread. Sockets, netlink sockets and TAP devices stay
/// bound to the namespace of the thread that created them, even when used from other threads
/// later. Because a thread that entered another namespace never comes back cleanly, callers
/// should do it on a dedicated thread, which ``run(path:_:)`` creates for them. Never call
/// ``enter(path:)`` on a thread of Swift's cooperative pool or on the main thread.
public enum NetworkNamespace {
  /// The handle path of a namespace created by `ip netns add NAME`.
  public static func path(named name: String) -> String { "/run/netns/\(name)" }

  /// Moves the calling thread into the network namespace at `path` (setns with CLONE_NEWNET).
  /// Use a dedicated thread: see the type's documentation.
  public static func enter(path: String) throws {
    let fd = try Syscall.run("open(\(path))") { open(path, O_RDONLY | O_CLOEXEC) }
    defer { Syscall.close(fd) }
    try Syscall.run("setns(\(path))") { cmesh_setns_net(fd) }
  }

  /// Runs `body` on a new thread that first enters the namespace at `path`, waits for the
  /// thread to finish, and returns `body`'s result or rethrows its error. The thread exits
  /// afterwards, so the namespace change never leaks to other work.
  public static func run<T>(path: String, _ body: () throws -> T) throws -> T {
    let box = ResultBox<T>()
    try withoutActuallyEscaping(body) { escapable in
      let work = ThreadWork {
        box.result = Result {
          try NetworkNamespace.enter(path: path)
          return try escapable()
        }
      }
      try work.spawnAndJoin()
    }
    return try box.result!.get()
  }
}

/// Holds a thread's result until the creating thread, which joined it, reads it.
private final class ResultBox<T>: @unchecked Sendable {
  var result: Result<T, any Error>?
}

/// A closure run on a fresh pthread, which the caller joins before returning.
private final class ThreadWork: @unchecked Sendable {
  let work: () -> Void

  init(_ work: @escaping () -> Void) { self.work = work }

  func spawnAndJoin() throws {
    let unmanaged = Unmanaged.passRetained(self)
    var thread = pthread_t()
    let rc = pthread_create(&thread, nil, threadEntry, unmanaged.toOpaque())
    guard rc == 0 else {
      unmanaged.release()
      throw SystemError(call: "pthread_create", errno: rc)
    }
    pthread_join(thread, nil)
  }
}

/// The C entry point of ``ThreadWork`` threads; consumes the retain taken by `spawnAndJoin`.
private func threadEntry(_ raw: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
  let work = Unmanaged<ThreadWork>.fromOpaque(raw!).takeRetainedValue()
  work.work()
  return nil
}
