import CMeshShim

#if canImport(Glibc)
  import Glibc
#endif

/// Why a TAP device could not be opened or used.
public enum TapError: Error, Equatable, Sendable, CustomStringConvertible {
  /// `/dev/net/tun` does not exist.
  case noTunDevice
  /// The process lacks CAP_NET_ADMIN (or access to `/dev/net/tun`).
  case permissionDenied
  /// A write found the link down (EIO): the frame was not sent. Callers drop the frame.
  case linkDown
  /// Any other failure.
  case system(SystemError)

  /// A message that tells an operator what to do.
  public var description: String {
    switch self {
    case .noTunDevice:
      return "/dev/net/tun not found: load the tun module or run with access to it"
    case .permissionDenied:
      return "cannot create a TAP device: missing CAP_NET_ADMIN (run as root or grant the "
        + "capability) or no access to /dev/net/tun"
    case .linkDown: return "TAP link is down: frame dropped"
    case .system(let error): return error.description
    }
  }
}

/// A Linux TAP device (`IFF_TAP | IFF_NO_PI`): Ethernet frames in and out through one file
/// descriptor, which this object owns.
///
/// The device is not persistent: it disappears when the descriptor is closed, by ``close()``
/// or `deinit`. It is created in the network namespace of the thread that opens it.
///
/// ``read(into:)`` and ``write(_:)`` may be called from different threads at the same time
/// (the kernel serializes them); ``close()`` must not race with them.
public final class TapDevice: @unchecked Sendable {
  /// The interface name the kernel gave the device.
  public let name: String
  /// The file descriptor, or -1 after ``close()``.
  public private(set) var fd: Int32

  /// The size of the kernel's `struct virtio_net_hdr` that precedes every frame when the
  /// device has one (IFF_VNET_HDR); the Wire layer's `VirtioNetHeader` codec reads and writes
  /// exactly this many bytes (a test checks that they agree).
  public static let virtioHeaderSize = 10
  /// Whether every frame read and written is preceded by a `VirtioNetHeader`.
  public let hasVirtioHeader: Bool
  /// The TUNSETOFFLOAD flags in force.
  private var offloadFlags: UInt32 = 0

  /// Opens `/dev/net/tun` and creates a TAP device named `name` (or a kernel-chosen name such
  /// as `tap0` when nil; a name containing `%d` is a template). With `nonBlocking`, reads
  /// return nil instead of waiting. With `virtioHeader`, frames carry a `VirtioNetHeader`
  /// (IFF_VNET_HDR), which `enableOffloads` needs.
  public init(name: String? = nil, nonBlocking: Bool = false, virtioHeader: Bool = false) throws {
    if let name { try InterfaceName.validate(name) }
    let fd: Int32
    do {
      fd = try Syscall.run("open(/dev/net/tun)") { open("/dev/net/tun", O_RDWR | O_CLOEXEC) }
    } catch let error as SystemError {
      switch error.errno {
      case ENOENT, ENODEV, ENXIO: throw TapError.noTunDevice
      case EPERM, EACCES: throw TapError.permissionDenied
      default: throw TapError.system(error)
      }
    }
    var chosen = [CChar](repeating: 0, count: 16)
    do {
      try Syscall.run("ioctl(TUNSETIFF)") {
        cmesh_tun_set_iff(
          fd, name,
          cmesh_iff_tap() | cmesh_iff_no_pi() | (virtioHeader ? cmesh_iff_vnet_hdr() : 0), &chosen)
      }
      if virtioHeader {
        try Syscall.run("ioctl(TUNSETVNETHDRSZ)") {
          cmesh_tun_set_vnet_hdr_size(fd, Int32(TapDevice.virtioHeaderSize))
        }
      }
      // A device left persistent by an earlier owner would outlive us: clear the flag.
      try Syscall.run("ioctl(TUNSETPERSIST)") { cmesh_tun_set_persist(fd, 0) }
      if nonBlocking { try Syscall.setNonBlocking(fd, true) }
    } catch let error as SystemError {
      Syscall.close(fd)
      if error.errno == EPERM { throw TapError.permissionDenied }
      throw TapError.system(error)
    }
    self.fd = fd
    self.hasVirtioHeader = virtioHeader
    self.name = String(
      decoding: chosen.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  deinit { Syscall.close(fd) }

  /// Closes the descriptor; the device disappears unless it was made persistent.
  public func close() {
    Syscall.close(fd)
    fd = -1
  }

  /// Reads one Ethernet frame into `buffer` and returns its length, or nil when the device
  /// is non-blocking and no frame is waiting. Use 64 KiB buffers: the kernel can hand over
  /// frames larger than the MTU. A frame longer than the buffer is truncated.
  public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int? {
    let fd = self.fd
    return try Syscall.runNonBlocking("read(tap)") {
      Glibc.read(fd, buffer.baseAddress, buffer.count)
    }
  }

  /// Writes one Ethernet frame. Throws ``TapError/linkDown`` when the device is down (EIO),
  /// which callers treat as a dropped frame, and ``TapError/system(_:)`` otherwise.
  public func write(_ frame: UnsafeRawBufferPointer) throws {
    let fd = self.fd
    do {
      try Syscall.run("write(tap)") { Glibc.write(fd, frame.baseAddress, frame.count) }
    } catch let error as SystemError {
      if error.errno == EIO { throw TapError.linkDown }
      throw TapError.system(error)
    }
  }

  /// Lets the kernel hand over frames with partial checksums and, with `segmentation`, TCP
  /// segments of up to 64 KiB, which cross the mesh as one datagram instead of forty. Needs a
  /// device opened with `virtioHeader`. Throws when the kernel refuses, so callers can fall
  /// back to plain frames.
  public func enableOffloads(segmentation: Bool) throws {
    precondition(hasVirtioHeader, "offloads need the virtio-net header")
    let fd = self.fd
    var flags = cmesh_tun_f_csum()
    if segmentation { flags |= cmesh_tun_f_tso4() | cmesh_tun_f_tso6() }
    try Syscall.run("ioctl(TUNSETOFFLOAD)") { cmesh_tun_set_offload(fd, flags) }
    offloadFlags = flags
  }

  /// Whether this kernel accepts UDP segmentation offload frames (virtio `GSO_UDP_L4`,
  /// Linux 6.2 and later) written to the TAP. It asks by offering USO for the frames it
  /// reads, which only such a kernel accepts, and withdraws the offer at once: frames read
  /// stay at most TCP-segmented, so peers on older kernels never receive a USO frame.
  public func probeUDPSegmentation() -> Bool {
    guard hasVirtioHeader else { return false }
    let fd = self.fd
    let kept = offloadFlags
    let offered = kept | cmesh_tun_f_csum() | cmesh_tun_f_uso4() | cmesh_tun_f_uso6()
    guard cmesh_tun_set_offload(fd, offered) == 0 else { return false }
    return cmesh_tun_set_offload(fd, kept) == 0
  }

  /// Switches the descriptor between blocking and non-blocking reads.
  public func setNonBlocking(_ nonBlocking: Bool) throws {
    try Syscall.setNonBlocking(fd, nonBlocking)
  }
}
