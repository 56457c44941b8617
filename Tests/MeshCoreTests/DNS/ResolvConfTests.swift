import MeshCore
import Testing

@Suite struct ResolvConfTests {
  @Test func readsNameserversSkippingOwnAddressRepeatsAndJunk() {
    let text = """
      # a comment
      search example.org
      nameserver 192.0.2.53
      nameserver\t2001:db8::53
      ; nameserver 192.0.2.99
      nameserver 10.47.5.1
      nameserver 192.0.2.53
      nameserver fe80::1%eth0
      nameserver
      options ndots:2
      """
    let list = ResolvConf.nameservers(text, excluding: [.v4(0x0A2F_0501)])
    #expect(list == [Endpoint("192.0.2.53:53")!, Endpoint("[2001:db8::53]:53")!])
    #expect(ResolvConf.nameservers("").isEmpty)
  }
}
