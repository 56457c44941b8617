import MeshCore
import MeshIO
import Testing

/// The TAP (IO) and the virtio-net header codec (Wire) agree on the header's size without
/// either layer importing the other.
@Suite struct IOVirtioHeaderSizeTests {
  @Test func tapAndCodecAgreeOnTheHeaderSize() {
    #expect(TapDevice.virtioHeaderSize == VirtioNetHeader.size)
  }
}
