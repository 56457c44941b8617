import MeshCore
import Testing

/// Which endpoints a socket bound to a given address can reach.
@Suite("Types: endpoint families")
struct EndpointFamilyTests {
  let v4 = Endpoint("192.0.2.1:6786")!
  let v6 = Endpoint("[2001:db8::1]:6786")!

  @Test func anIPv4SocketReachesOnlyIPv4() {
    #expect(v4.unreachableReason(from: Endpoint("0.0.0.0:6786")!) == nil)
    #expect(v6.unreachableReason(from: Endpoint("0.0.0.0:6786")!)?.contains("IPv6") == true)
  }

  @Test func theIPv6WildcardReachesBothAndOneIPv6AddressOnlyIPv6() {
    #expect(v4.unreachableReason(from: Endpoint("[::]:6786")!) == nil)
    #expect(v6.unreachableReason(from: Endpoint("[::]:6786")!) == nil)
    #expect(v6.unreachableReason(from: Endpoint("[2001:db8::2]:6786")!) == nil)
    #expect(v4.unreachableReason(from: Endpoint("[2001:db8::2]:6786")!) != nil)
  }
}
