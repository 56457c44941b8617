/// Merges consecutive UDP-over-IPv4 frames of one flow into one large frame with a UDP
/// segmentation offload header (virtio `GSO_UDP_L4`), so that the receiving kernel takes the
/// frame through the TAP, the bridge, netfilter and IP once, and cuts it into the original
/// datagrams only at the UDP layer (or at the device that sends it on).
///
/// It is the receive-side twin of the UDP offloads on the underlay: a batch of datagrams from
/// one peer usually carries a run of frames of one flow (a UDP stream of a container), and
/// writing them to the TAP one by one costs a full trip through the bridge each.
///
/// Frames qualify when they are Ethernet II + IPv4 without options or fragmentation + UDP
/// with a payload. A run continues while the next frame has the same Ethernet and IP headers
/// (except length, identification and checksum), the same ports and the run's payload size;
/// one shorter frame may end it. The coalescer owns a buffer for the run, with room for the
/// virtio-net header in front.
public final class UDPCoalescer {
  /// The most datagrams in one run (the kernel's UDP_MAX_SEGMENTS is at least this).
  public static let maxSegments = 64
  /// Ethernet (14) + IPv4 without options (20) + UDP (8).
  public static let headerLength = 42
  /// The largest IPv4 total length.
  public static let maxIPLength = 65_535

  private let storage: UnsafeMutableRawBufferPointer
  /// Where ``unmerge(_:)`` rebuilds single frames.
  private let spare: UnsafeMutableRawBufferPointer
  /// How many frames the run holds.
  public private(set) var count = 0
  /// How many frames the run last finished held, so that ``unmerge(_:)`` can still split it.
  private var finishedCount = 0
  private var segmentSize = 0
  private var payloadLength = 0
  private var endedShort = false

  /// Allocates the run buffer once.
  public init() {
    storage = .allocate(
      byteCount: VirtioNetHeader.size + 14 + UDPCoalescer.maxIPLength, alignment: 16)
    spare = .allocate(
      byteCount: VirtioNetHeader.size + 14 + UDPCoalescer.maxIPLength, alignment: 16)
  }

  deinit {
    storage.deallocate()
    spare.deallocate()
  }

  /// The UDP payload length of a frame that qualifies, nil otherwise.
  public static func payloadLength(of frame: UnsafeRawBufferPointer) -> Int? {
    guard frame.count > headerLength, frame[12] == 0x08, frame[13] == 0x00, frame[14] == 0x45,
      frame[23] == 17,
      frame[20] & 0x3F == 0, frame[21] == 0  // neither MF nor a fragment offset
    else { return nil }
    let ipLength = Int(frame[16]) << 8 | Int(frame[17])
    let udpLength = Int(frame[38]) << 8 | Int(frame[39])
    guard ipLength <= frame.count - 14, udpLength == ipLength - 20, udpLength > 8 else {
      return nil
    }
    return udpLength - 8
  }

  /// Whether a frame with this offload header may join a run: none, or only a partial UDP
  /// checksum where an IPv4 UDP header has it (the run recomputes it anyway).
  public static func accepts(_ offload: VirtioNetHeader?) -> Bool {
    guard let offload else { return true }
    guard offload.gsoType == VirtioNetHeader.gsoNone else { return false }
    if offload.flags & VirtioNetHeader.needsChecksum == 0 { return true }
    return offload.checksumStart == 34 && offload.checksumOffset == 6
  }

  /// Adds `frame` to the run; false when it does not qualify or does not continue the run
  /// (then the caller finishes the run and may start a new one with it).
  public func append(_ frame: UnsafeRawBufferPointer) -> Bool {
    guard let payload = UDPCoalescer.payloadLength(of: frame) else { return false }
    let base = VirtioNetHeader.size
    if count == 0 {
      let end = UDPCoalescer.headerLength + payload
      UnsafeMutableRawBufferPointer(rebasing: storage[base..<(base + end)]).copyMemory(
        from: UnsafeRawBufferPointer(rebasing: frame[0..<end]))
      count = 1
      segmentSize = payload
      payloadLength = payload
      endedShort = false
      return true
    }
    guard !endedShort, count < UDPCoalescer.maxSegments, payload <= segmentSize,
      20 + 8 + payloadLength + payload <= UDPCoalescer.maxIPLength, continuesRun(frame)
    else { return false }
    let at = base + UDPCoalescer.headerLength + payloadLength
    UnsafeMutableRawBufferPointer(rebasing: storage[at..<(at + payload)]).copyMemory(
      from: UnsafeRawBufferPointer(
        rebasing: frame[UDPCoalescer.headerLength..<(UDPCoalescer.headerLength + payload)]))
    payloadLength += payload
    count += 1
    endedShort = payload < segmentSize
    return true
  }

  /// Whether `frame` has the run's addresses, IP fields and ports.
  private func continuesRun(_ frame: UnsafeRawBufferPointer) -> Bool {
    let run = UnsafeRawBufferPointer(rebasing: storage[VirtioNetHeader.size...])
    // MACs and ethertype; version, IHL and TOS; flags, TTL, protocol; addresses; ports.
    func same(_ range: Range<Int>) -> Bool {
      for i in range where run[i] != frame[i] { return false }
      return true
    }
    return same(0..<16) && same(20..<24) && same(26..<38)
  }

  /// Finishes the run: fixes the lengths and checksums and returns the frame with its
  /// virtio-net header written in the `VirtioNetHeader.size` bytes in front of it. The run is
  /// empty afterwards. The UDP checksum is always left for the kernel to complete, so a
  /// frame that arrived with only a partial checksum comes out right too.
  public func finish() -> UnsafeRawBufferPointer {
    precondition(count > 0, "finish() on an empty run")
    let base = VirtioNetHeader.size
    let frameLength = UDPCoalescer.headerLength + payloadLength
    let whole = UnsafeMutableRawBufferPointer(rebasing: storage[0..<(base + frameLength)])
    let frame = UnsafeMutableRawBufferPointer(rebasing: storage[base..<(base + frameLength)])
    let udpLength = setLengths(of: frame, payload: payloadLength)
    // A partial checksum, the pseudo-header's sum, which the kernel completes (per segment)
    // where it must; a frame that came with a partial checksum keeps one that way.
    var pseudo = Checksum.sum(UnsafeRawBufferPointer(rebasing: frame[26..<34]))
    pseudo += 17 + UInt32(udpLength)
    put(Checksum.fold(pseudo), into: frame, at: 40)
    let merged = count > 1
    VirtioNetHeader(
      flags: VirtioNetHeader.needsChecksum,
      gsoType: merged ? VirtioNetHeader.gsoUDPL4 : VirtioNetHeader.gsoNone,
      headerLength: merged ? UInt16(UDPCoalescer.headerLength) : 0,
      gsoSize: merged ? UInt16(segmentSize) : 0,
      checksumStart: 34, checksumOffset: 6
    ).write(into: whole)
    finishedCount = count
    count = 0
    return UnsafeRawBufferPointer(whole)
  }

  /// The frames of the run, one by one as they arrived, for a kernel that refuses the
  /// merged frame: each rebuilt (without a UDP checksum, which the AEAD made redundant) with
  /// a plain virtio-net header in front, and handed to `body`. Call after a ``finish()``
  /// whose frame was refused, before the next ``append(_:)``.
  public func unmerge(_ body: (UnsafeRawBufferPointer) -> Void) {
    let base = VirtioNetHeader.size
    VirtioNetHeader.plain.write(into: spare)
    let buffer = UnsafeMutableRawBufferPointer(rebasing: spare[base...])
    let headers = UnsafeRawBufferPointer(
      rebasing: storage[base..<(base + UDPCoalescer.headerLength)])
    precondition(count == 0, "unmerge() after finish(), before the next append()")
    var offset = 0
    for _ in 0..<finishedCount {
      let payload = min(segmentSize, payloadLength - offset)
      let frame = UnsafeMutableRawBufferPointer(
        rebasing: buffer[0..<(UDPCoalescer.headerLength + payload)])
      UnsafeMutableRawBufferPointer(rebasing: frame[0..<UDPCoalescer.headerLength]).copyMemory(
        from: headers)
      let at = base + UDPCoalescer.headerLength + offset
      UnsafeMutableRawBufferPointer(rebasing: frame[UDPCoalescer.headerLength...]).copyMemory(
        from: UnsafeRawBufferPointer(rebasing: storage[at..<(at + payload)]))
      setLengths(of: frame, payload: payload)
      put(0, into: frame, at: 40)  // no UDP checksum: the AEAD already vouched for the bytes
      body(UnsafeRawBufferPointer(rebasing: spare[0..<(base + frame.count)]))
      offset += payload
    }
    finishedCount = 0
  }

  /// Writes the IPv4 total length and header checksum and the UDP length of `frame` for a
  /// `payload`-byte UDP payload; returns the UDP length.
  @discardableResult
  private func setLengths(of frame: UnsafeMutableRawBufferPointer, payload: Int) -> Int {
    let udpLength = 8 + payload
    put(UInt16(20 + udpLength), into: frame, at: 16)
    put(0, into: frame, at: 24)
    put(
      ~Checksum.fold(Checksum.sum(UnsafeRawBufferPointer(rebasing: frame[14..<34]))),
      into: frame, at: 24)
    put(UInt16(udpLength), into: frame, at: 38)
    return udpLength
  }

  private func put(_ v: UInt16, into frame: UnsafeMutableRawBufferPointer, at i: Int) {
    frame[i] = UInt8(v >> 8)
    frame[i + 1] = UInt8(truncatingIfNeeded: v)
  }
}
