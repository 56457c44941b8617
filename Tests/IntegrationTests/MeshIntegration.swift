import Testing

/// The root of all integration suites: each suite is nested in it (in its own file), so this
/// one `.serialized` trait runs every namespace test one after another, and one root gate
/// decides whether they run. On CI and the development machines (root) they must run.
@Suite(
  .serialized, .timeLimit(.minutes(2)),
  .enabled(if: IntegrationEnvironment.canRun, "needs root, ip, /dev/net/tun"))
struct MeshIntegration {}
