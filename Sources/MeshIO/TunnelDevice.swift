/// The layer-2 device the data thread reads frames from and writes frames to, as wireguard-go
/// has its `tun.Device`: `TapDevice` is the real one; tests give the runtime in-memory fakes.
///
/// The data thread waits for ``fd`` to become readable with a `Poller` (a fake hands out an
/// eventfd that it keeps readable while it holds frames). Callers are generic over the
/// device, so the per-packet calls are direct calls, not dynamic dispatch.
public protocol TunnelDevice: AnyObject {
  /// A descriptor that is readable when ``read(into:)`` has a frame, or -1 once closed.
  var fd: Int32 { get }
  /// Whether every frame read and written is preceded by a `VirtioNetHeader`.
  var hasVirtioHeader: Bool { get }
  /// Reads one frame (after its virtio-net header, when there is one) into `buffer` and
  /// returns its length, or nil when no frame is waiting.
  func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int?
  /// Writes one frame. Throws `TapError.linkDown` when the device is down, and
  /// `TapError.system` otherwise (EINVAL: the kernel refuses the frame's offload).
  func write(_ frame: UnsafeRawBufferPointer) throws
  /// Closes the device.
  func close()
}

extension TapDevice: TunnelDevice {}
