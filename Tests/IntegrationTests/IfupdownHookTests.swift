import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

extension MeshIntegration {
  /// The ifupdown hook, driven by the real `ifup` and `ifdown` in two namespace hosts, each with a
  /// private interfaces file.
  ///
  /// Host A runs the hook the way a Debian machine does: `contrib/ifupdown/install.sh` installs it
  /// into a private `/etc/network` that is bind-mounted over the real one inside a private mount
  /// namespace, and ifupdown runs its `if-*.d` directories (run-parts). Host B runs it from
  /// `pre-up`/`post-up`/`pre-down` lines of its stanza with `--no-scripts`. The machine's own
  /// `/etc/network` is never read or changed.
  @Suite(.serialized, .enabled(if: IfupdownRig.canRun, "needs root and /dev/net/tun"))
  struct IfupdownHookTests {
    /// The stanza for one host: mesh options, and for host B the lines that call the hook.
    func stanza(_ rig: IfupdownRig, _ h: IfupdownRig.Host, peer: String, hookLines: Bool) -> String
    {
      var text = """
        auto \(IfupdownRig.bridge)
        iface \(IfupdownRig.bridge) inet manual
            mesh-secret-file \(rig.work.path)/secret
            mesh-peers \(peer)
            mesh-listen \(h.underlay):6786
            mesh-address \(h.overlay)
            mesh-state-dir \(h.stateDir)
            mesh-socket \(h.socket)
            mesh-run-dir \(h.runDir)
            mesh-log-file \(h.log)
            mesh-tap \(IfupdownRig.tap)
            mesh-meshd \(rig.meshd)

        """
      if hookLines {
        for phase in ["pre-up", "post-up", "pre-down"] {
          text += "    \(phase) \(IfupdownRig.hook)\n"
        }
      }
      return text
    }

    /// `ifup`/`ifdown` for a host: A with scripts from its private /etc/network, B without.
    func ifupdown(_ rig: IfupdownRig, _ tool: String, _ h: IfupdownRig.Host, scripts: Bool) throws
      -> IfupdownRig.Result
    {
      let args = "--no-loopback -i \(h.interfaces) --state-dir=\(h.ifState) \(IfupdownRig.bridge)"
      if scripts {
        let etc = rig.work.appendingPathComponent("root/etc/network").path
        return try rig.run([
          "ip", "netns", "exec", h.namespace, "unshare", "--mount", "--propagation", "private",
          "sh", "-c", "mount --bind \(etc) /etc/network && exec \(tool) \(args)",
        ])
      }
      return try rig.run(
        ["ip", "netns", "exec", h.namespace, tool, "--no-scripts"]
          + args.split(separator: " ").map(String.init))
    }

    @Test func ifupStartsTheMeshAndIfdownStopsIt() throws {
      let rig = try IfupdownRig()
      defer { rig.tearDown() }
      let (a, b) = (rig.a, rig.b)

      let secret = try rig.run([rig.meshd, "gen-secret"]).check().stdout
      let secretPath = rig.work.appendingPathComponent("secret").path
      FileManager.default.createFile(
        atPath: secretPath, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
      try rig.run(
        ["sh", IfupdownRig.packageRoot.appendingPathComponent("contrib/ifupdown/install.sh").path],
        env: ["DESTDIR": rig.work.appendingPathComponent("root").path]
      ).check()
      try stanza(rig, a, peer: b.underlay, hookLines: false)
        .write(toFile: a.interfaces, atomically: true, encoding: .utf8)
      try stanza(rig, b, peer: "\(a.underlay):6786", hookLines: true)
        .write(toFile: b.interfaces, atomically: true, encoding: .utf8)

      // Up: the bridge with its address, a live meshd per host, nothing printed.
      for (h, scripts) in [(a, true), (b, false)] {
        let up = try ifupdown(rig, "ifup", h, scripts: scripts).check()
        #expect(up.stdout.isEmpty && up.stderr.isEmpty, "ifup is quiet: \(up)")
        let addr = try rig.run(["ip", "-n", h.namespace, "-br", "addr", "show", IfupdownRig.bridge])
          .check()
        #expect(addr.stdout.contains(h.overlay) && addr.stdout.contains("UP"), "\(addr)")
        let pid = try #require(IfupdownRig.pid(in: h.pidFile), "no pid file \(h.pidFile)")
        #expect(IfupdownRig.isMeshd(pid), "pid \(pid) is not a running meshd")
      }
      let pidA = IfupdownRig.pid(in: a.pidFile)!
      let pidB = IfupdownRig.pid(in: b.pidFile)!

      // The hosts reach each other over the mesh, both ways.
      for (from, to) in [(a, b), (b, a)] {
        let target = String(to.overlay.split(separator: "/")[0])
        let reached = try rig.eventually(20) {
          try rig.run(["ip", "netns", "exec", from.namespace, "ping", "-c", "1", "-W", "1", target])
            .status == 0
        }
        #expect(reached, "\(from.namespace) cannot ping \(target); log: \(from.log)")
      }

      // A second post-up changes nothing: the running daemon is kept.
      var env = [
        "IFACE": IfupdownRig.bridge, "MODE": "start", "PHASE": "post-up",
        "IF_MESH_SECRET_FILE": secretPath, "IF_MESH_RUN_DIR": b.runDir, "IF_MESH_MESHD": rig.meshd,
        "IF_MESH_SOCKET": b.socket, "IF_MESH_LOG_FILE": b.log,
      ]
      try rig.run(["ip", "netns", "exec", b.namespace, IfupdownRig.hook], env: env).check()
      #expect(IfupdownRig.pid(in: b.pidFile) == pidB)
      // A stanza without mesh-secret-file is not the hook's business.
      env["IF_MESH_SECRET_FILE"] = nil
      env["PHASE"] = "pre-up"
      try rig.run(["ip", "netns", "exec", b.namespace, IfupdownRig.hook], env: env).check()

      // Without IPAM the daemon has no subnet, and docker-opts says so in one line.
      let opts = try rig.run([rig.meshd, "docker-opts", "--socket", a.socket])
      #expect(opts.status != 0)
      #expect(opts.stderr.contains("meshd has no subnet: start it with --ipam-range"), "\(opts)")

      // Down: each daemon stopped, pid file removed.
      for (h, scripts, pid) in [(a, true, pidA), (b, false, pidB)] {
        let down = try ifupdown(rig, "ifdown", h, scripts: scripts).check()
        #expect(down.stderr.isEmpty, "ifdown is quiet: \(down)")
        #expect(rig.eventually(12) { !IfupdownRig.isMeshd(pid) }, "meshd \(pid) still runs")
        #expect(!FileManager.default.fileExists(atPath: h.pidFile))
        let links = try rig.run(["ip", "-n", h.namespace, "-br", "link"]).check()
        #expect(!links.stdout.contains(IfupdownRig.tap), "the TAP outlived meshd: \(links)")
      }

      // The private /etc/network never leaked into the machine's mount table.
      let mounts = try String(contentsOfFile: "/proc/self/mountinfo", encoding: .utf8)
      #expect(!mounts.contains(" /etc/network "))
    }

    @Test func postUpFailsLoudlyWhenMeshdCannotStart() throws {
      let rig = try IfupdownRig()
      defer { rig.tearDown() }
      let h = rig.a
      // No such secret file: meshd up exits at once, and the hook must say so and fail.
      let env = [
        "IFACE": IfupdownRig.bridge, "MODE": "start", "PHASE": "post-up",
        "IF_MESH_SECRET_FILE": rig.work.appendingPathComponent("missing").path,
        "IF_MESH_RUN_DIR": h.runDir, "IF_MESH_MESHD": rig.meshd, "IF_MESH_SOCKET": h.socket,
        "IF_MESH_LOG_FILE": h.log, "IF_MESH_STATE_DIR": h.stateDir, "IF_MESH_TAP": IfupdownRig.tap,
      ]
      let r = try rig.run(["ip", "netns", "exec", h.namespace, IfupdownRig.hook], env: env)
      #expect(r.status != 0)
      #expect(r.stderr.contains("meshd up exited at once"), "\(r)")
      #expect(!FileManager.default.fileExists(atPath: h.pidFile))
    }
  }
}
