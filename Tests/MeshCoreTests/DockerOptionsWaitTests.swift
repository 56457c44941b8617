import MeshAPI
import MeshCore
import Testing

/// `meshd docker-opts --wait`: when to ask again, what to say, when to give up.
@Suite struct DockerOptionsWaitTests {
  let opts = DockerOptions(bridge: "br0", fixedCIDR: IPv4Network("10.47.5.0/24")!, mtu: 1425)
  let t0 = MeshInstant(nanoseconds: 1_000_000_000)

  func at(_ seconds: Double) -> MeshInstant { t0.adding(seconds: seconds) }

  @Test func optionsEndTheWaitAtOnce() {
    var wait = DockerOptionsWait(timeout: 10, start: t0)
    #expect(wait.next(.options(opts), now: at(0)) == .done(opts))
  }

  @Test func aPendingClaimIsWaitedForAndSaidOnce() {
    var wait = DockerOptionsWait(timeout: 10, start: t0, interval: 0.5)
    let note = "claim pending: waiting for meshd to claim this host's subnet"
    #expect(wait.next(.claimPending, now: at(0)) == .retry(after: 0.5, note: note))
    #expect(wait.next(.claimPending, now: at(0.5)) == .retry(after: 0.5, note: nil))
    #expect(wait.next(.claimPending, now: at(1)) == .retry(after: 0.5, note: nil))
    #expect(wait.next(.options(opts), now: at(1.5)) == .done(opts))
  }

  @Test func aDNSServerNotListeningYetIsWaitedFor() {
    var wait = DockerOptionsWait(timeout: 1, start: t0, interval: 0.5)
    let note = "waiting for meshd's DNS server to listen on the bridge address"
    #expect(wait.next(.dnsPending, now: at(0)) == .retry(after: 0.5, note: note))
    #expect(
      wait.next(.dnsPending, now: at(0.6))
        == .fail("timed out after 1 s: meshd's DNS server does not listen on the bridge yet"))
  }

  @Test func aDaemonNotUpYetIsWaitedForAndEachNewReasonSaid() {
    var wait = DockerOptionsWait(timeout: 10, start: t0)
    #expect(
      wait.next(.unreachable("no socket"), now: at(0))
        == .retry(after: 0.2, note: "waiting for meshd: no socket"))
    #expect(wait.next(.unreachable("no socket"), now: at(0.2)) == .retry(after: 0.2, note: nil))
    #expect(
      wait.next(.claimPending, now: at(0.4))
        == .retry(after: 0.2, note: "claim pending: waiting for meshd to claim this host's subnet"))
  }

  @Test func finalAnswersAreNotWaitedFor() {
    var wait = DockerOptionsWait(timeout: 10, start: t0)
    let why = DockerOptionsError.noSubnet.description
    #expect(wait.next(.failed(why), now: at(0)) == .fail(why))
  }

  @Test func theTimeoutNamesWhatWasMissing() {
    var wait = DockerOptionsWait(timeout: 3, start: t0, interval: 1)
    #expect(wait.next(.claimPending, now: at(1.9)) != .fail(""))
    #expect(
      wait.next(.claimPending, now: at(2.5))
        == .fail("timed out after 3 s: meshd has not claimed its subnet (claim pending)"))
    var other = DockerOptionsWait(timeout: 0.5, start: t0)
    #expect(
      other.next(.unreachable("cannot reach meshd at /x"), now: at(0.4))
        == .fail("timed out after 0.5 s: cannot reach meshd at /x"))
  }

  @Test func aZeroTimeoutAsksOnce() {
    var wait = DockerOptionsWait(timeout: 0, start: t0)
    #expect(
      wait.next(.claimPending, now: at(0))
        == .fail("timed out after 0 s: meshd has not claimed its subnet (claim pending)"))
  }
}
