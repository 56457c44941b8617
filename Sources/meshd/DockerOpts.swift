import ArgumentParser
import MeshAPI
import MeshCore
import MeshIO

#if canImport(Glibc)
  import Glibc
#endif

/// `meshd docker-opts`: prints the `dockerd` flags (or a `daemon.json` fragment) that put
/// Docker's containers on the mesh, read from the running daemon's status:
///
/// ```sh
/// dockerd $(meshd docker-opts)      # --bridge=br0 --fixed-cidr=10.47.5.0/24 --mtu=1425 \
///                                   #   --dns=10.47.5.1 --dns-search=mesh.internal
/// meshd docker-opts --json          # {"bridge": "br0", "fixed-cidr": "10.47.5.0/24", "mtu": 1425}
/// ```
struct DockerOpts: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "docker-opts",
    abstract: "Print the dockerd flags for this host's bridge, subnet, MTU and DNS.")

  @OptionGroup var options: SocketOption

  @Flag(help: "Print a daemon.json fragment instead of command-line flags.")
  var json = false

  @Flag(help: "Wait for the daemon and its subnet claim (up to --timeout seconds).")
  var wait = false

  @Option(help: "With --wait: how many seconds to wait before giving up (default 60).")
  var timeout: Double?

  func validate() throws {
    guard let timeout else { return }
    guard wait else { throw ValidationError("--timeout needs --wait") }
    guard timeout >= 0, timeout <= 86400 else {
      throw ValidationError("--timeout must be between 0 and 86400 seconds")
    }
  }

  func run() async throws {
    let opts =
      wait ? try await waitForOptions() : try DockerOptsAttempt.options(socket: options.socket)
    print(json ? opts.daemonJSON : opts.commandLine)
  }

  /// Writes a note to standard error (stdout carries only the options, for `$(...)`).
  private static func printToStandardError(_ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
  }

  /// Asks until the daemon gives the options, or the timeout passes; notes on stderr say what
  /// it waits for.
  private func waitForOptions() async throws -> DockerOptions {
    let clock = SystemClock()
    var waiting = DockerOptionsWait(timeout: timeout ?? 60, start: clock.now())
    while true {
      let outcome = DockerOptsAttempt.outcome(socket: options.socket)
      switch waiting.next(outcome, now: clock.now()) {
      case .done(let opts):
        return opts
      case .fail(let why):
        throw CLIError(why)
      case .retry(let seconds, let note):
        if let note { Self.printToStandardError("meshd docker-opts: \(note)\n") }
        try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
      }
    }
  }
}

/// One question to the daemon for `meshd docker-opts`.
enum DockerOptsAttempt {
  /// The options, or the one-line error.
  static func options(socket: String) throws -> DockerOptions {
    let (status, host) = try ControlClient(socketPath: socket).status()
    do {
      return try DockerOptions(status: status, host: host)
    } catch {
      throw CLIError(error.description)
    }
  }

  /// What one attempt found, for ``DockerOptionsWait``: a daemon that cannot be asked may yet
  /// start; a pending claim may yet be settled; anything else is final.
  static func outcome(socket: String) -> DockerOptionsWait.Outcome {
    let status: MeshStatus
    let host: MeshStatus.HostFacts
    do {
      (status, host) = try ControlClient(socketPath: socket).status()
    } catch {
      return .unreachable("\(error)")
    }
    do {
      return .options(try DockerOptions(status: status, host: host))
    } catch .claimPending {
      return .claimPending
    } catch .dnsPending {
      return .dnsPending
    } catch {
      return .failed(error.description)
    }
  }
}
