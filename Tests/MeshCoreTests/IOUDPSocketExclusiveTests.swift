import Foundation
import Testing

@testable import MeshCore
@testable import MeshIO
@testable import MeshTypes

/// The main socket claims its port: a second daemon's main socket is refused, while the
/// daemon's own per-peer sockets (from `UDPSocketFactory`) still share the port.
@Suite(.enabled(if: ioCanCreateTap, "needs root for a network namespace"))
struct IOUDPSocketExclusiveTests {
  @Test(arguments: ["127.0.0.1", "[::1]"])
  func secondMainSocketIsRefusedPeerSocketsShare(bind: String) throws {
    try withNetworkNamespace { _ in
      try RouteNetlink().setUp(link: "lo")
      let main = try UDPSocket(bindingTo: Endpoint(bind, defaultPort: 0)!)
      let port = main.localEndpoint.port
      let again = Endpoint(bind, defaultPort: port)!
      #expect {
        _ = try UDPSocket(bindingTo: again)
      } throws: { error in
        (error as? SystemError)?.errno == EADDRINUSE
      }
      let remote = try UDPSocket(bindingTo: Endpoint(bind, defaultPort: 0)!)
      let peer = try UDPSocketFactory().makeSocket(
        boundTo: again, connectedTo: remote.localEndpoint)
      #expect(peer.localEndpoint.port == port)
      // A second main socket is refused while a per-peer socket holds the port too.
      main.close()
      #expect {
        _ = try UDPSocket(bindingTo: again)
      } throws: { error in
        (error as? SystemError)?.errno == EADDRINUSE
      }
      peer.close()
      remote.close()
    }
  }
}
