import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension MeshIntegration {
  /// The ifupdown hook's options for the daemon (nickname, log level, allow-list, next secret,
  /// Docker environment file, extra options) and its post-up that returns only once the mesh
  /// is ready: with IPAM, once the subnet is claimed and the environment file holds the options.
  @Suite(.serialized, .enabled(if: IfupdownRig.canRun, "needs root and /dev/net/tun"))
  struct IfupdownReadinessTests {
    func writePrivate(_ text: String, _ path: String) {
      FileManager.default.createFile(
        atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
    }

    @Test func postUpWaitsForTheClaimAndPassesTheOptions() throws {
      let rig = try IfupdownRig()
      defer { rig.tearDown() }
      let h = rig.a
      let secret = rig.work.appendingPathComponent("secret").path
      let next = rig.work.appendingPathComponent("next-secret").path
      writePrivate(try rig.run([rig.meshd, "gen-secret"]).check().stdout, secret)
      writePrivate(try rig.run([rig.meshd, "gen-secret"]).check().stdout, next)
      let publicKey = try rig.run(["sh", "-c", "'\(rig.meshd)' genkey | '\(rig.meshd)' pubkey"])
        .check().stdout
      let allowed = rig.work.appendingPathComponent("allowed-keys").path
      writePrivate(publicKey, allowed)
      let envFile = rig.work.appendingPathComponent("a/run/meshd/docker.env").path

      var env = [
        "IFACE": IfupdownRig.bridge, "MODE": "start", "PHASE": "pre-up",
        "IF_MESH_SECRET_FILE": secret, "IF_MESH_RUN_DIR": h.runDir, "IF_MESH_MESHD": rig.meshd,
        "IF_MESH_SOCKET": h.socket, "IF_MESH_LOG_FILE": h.log, "IF_MESH_STATE_DIR": h.stateDir,
        "IF_MESH_TAP": IfupdownRig.tap, "IF_MESH_LISTEN": "\(h.underlay):6786",
        "IF_MESH_IPAM_RANGE": "10.48.0.0/16", "IF_MESH_NICKNAME": "hook-host",
        "IF_MESH_LOG_LEVEL": "debug", "IF_MESH_NEXT_SECRET_FILE": next,
        "IF_MESH_ALLOWED_KEYS_FILE": allowed, "IF_MESH_DOCKER_ENV_FILE": envFile,
        "IF_MESH_UP_OPTS": "--busy-poll-us 0", "IF_MESH_WAIT_TIMEOUT": "30",
      ]
      let hook = ["ip", "netns", "exec", h.namespace, IfupdownRig.hook]
      try rig.run(hook, env: env).check()
      env["PHASE"] = "post-up"
      let up = try rig.run(hook, env: env)
      #expect(up.status == 0 && up.stderr.isEmpty, "post-up is quiet: \(up)")

      // post-up returned after the claim and once the environment file holds the options: a
      // dockerd started now reads them, and docker-opts answers at once, without --wait.
      let written = try #require(
        try? String(contentsOfFile: envFile, encoding: .utf8), "\(envFile) is written")
      let opts = try rig.run([rig.meshd, "docker-opts", "--socket", h.socket])
      #expect(opts.status == 0, "\(opts)")
      #expect(
        opts.stdout.hasPrefix("--bridge=\(IfupdownRig.bridge) --fixed-cidr=10.48."), "\(opts)")
      #expect(
        written.contains(
          "MESHD_DOCKER_OPTS=\"\(opts.stdout.trimmingCharacters(in: .whitespacesAndNewlines))\""))

      // Each stanza option reached `meshd up`.
      let pid = try #require(IfupdownRig.pid(in: h.pidFile))
      let cmdline = try String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)
        .split(separator: "\0").map(String.init)
      for (flag, value) in [
        ("--nickname", "hook-host"), ("--log-level", "debug"), ("--next-secret-file", next),
        ("--allowed-keys-file", allowed), ("--docker-env-file", envFile),
        ("--busy-poll-us", "0"), ("--ipam-range", "10.48.0.0/16"),
      ] {
        let i = cmdline.firstIndex(of: flag)
        #expect(i.map { cmdline[$0 + 1] } == value, "\(flag) \(value) in \(cmdline)")
      }
      let status = try rig.run([rig.meshd, "status", "--json", "--socket", h.socket]).check()
      #expect(status.stdout.contains("\"nickname\":\"hook-host\""), "\(status)")

      env["MODE"] = "stop"
      env["PHASE"] = "pre-down"
      try rig.run(hook, env: env).check()
      #expect(rig.eventually(12) { !IfupdownRig.isMeshd(pid) }, "meshd \(pid) still runs")
    }

    @Test func aBadWaitTimeoutFailsTheIfup() throws {
      let rig = try IfupdownRig()
      defer { rig.tearDown() }
      let h = rig.a
      let env = [
        "IFACE": IfupdownRig.bridge, "MODE": "start", "PHASE": "post-up",
        "IF_MESH_SECRET_FILE": rig.work.appendingPathComponent("missing").path,
        "IF_MESH_RUN_DIR": h.runDir, "IF_MESH_MESHD": rig.meshd, "IF_MESH_SOCKET": h.socket,
        "IF_MESH_LOG_FILE": h.log, "IF_MESH_WAIT_TIMEOUT": "soon",
      ]
      let r = try rig.run(["ip", "netns", "exec", h.namespace, IfupdownRig.hook], env: env)
      #expect(r.status != 0)
      #expect(r.stderr.contains("mesh-wait-timeout soon is not a number of seconds"), "\(r)")
    }
  }
}
