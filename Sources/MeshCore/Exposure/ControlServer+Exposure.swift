import MeshAPI

extension ControlServer {
  /// `POST /v1/expose` and `POST /v1/hide`: switch the host firewall (see `HostFirewall`).
  func respondExposure(_ exposed: Bool) -> HTTPResponse {
    guard let firewall else {
      return .json(
        ["error": "this meshd runs without its host firewall: nothing to expose or hide"],
        status: 409)
    }
    do {
      try firewall.setExposed(exposed)
    } catch {
      logger.error("cannot \(exposed ? "expose" : "hide") the host: \(error)")
      return .json(
        ["error": .string("cannot \(exposed ? "expose" : "hide") the host: \(error)")],
        status: 500)
    }
    logger.notice(
      exposed
        ? "host exposed: the mesh may open connections to this host's own addresses"
        : "host hidden: the mesh can no longer open connections to this host")
    return .json(["exposed": .bool(exposed)])
  }
}
