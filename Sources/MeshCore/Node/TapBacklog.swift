import MeshProtocol

/// The TAP frames the data thread has read but not sealed yet, and the read slots they lie in.
///
/// A bulk TCP stream through the mesh keeps a backlog in front of the sealing thread (its
/// window's worth beyond what the path holds), and a ping or a keystroke read after it used to
/// wait for all of it in the TAP's ring. So the thread reads the ring ahead into free slots,
/// and seals first the frames of flows that have nothing waiting here (sparse flows, as fair
/// queueing calls them), then the backlog in bounded steps; a frame of a flow that already has
/// frames waiting joins the back of the line, so no flow's frames are ever reordered.
///
/// Only bookkeeping: slot numbers, lengths and flow keys, in arrays sized once, so nothing
/// here allocates per frame. The loop owns the slots' memory and does the reading and sealing.
struct TapBacklog {
  /// A frame read into a slot and waiting to be sealed.
  struct Frame: Equatable {
    /// The read slot it lies in.
    var slot: Int
    /// Its length, without the virtio-net header.
    var length: Int
    /// The TAP's offload header for it, when the TAP has one.
    var offload: VirtioNetHeader?
    /// `FrameFlow.key` of the frame.
    var flow: UInt32
  }

  /// Frames of flows that had nothing waiting when they were read: one per flow at most.
  private var sparse: FrameRing
  /// Every other waiting frame, oldest first.
  private var bulk: FrameRing
  /// Slots that hold nothing, used as a stack.
  private var free: [Int]
  /// Slots whose frames were sealed in place and whose datagrams wait for the next send.
  private var sealed: [Int]
  /// How many slots there are.
  let capacity: Int

  /// A backlog over `slots` read slots, all free.
  init(slots: Int) {
    precondition(slots > 0)
    capacity = slots
    sparse = FrameRing(capacity: slots)
    bulk = FrameRing(capacity: slots)
    free = Array((0..<slots).reversed())
    free.reserveCapacity(slots)
    sealed = []
    sealed.reserveCapacity(slots)
  }

  /// How many frames wait.
  var count: Int { sparse.count + bulk.count }

  /// Whether frames wait.
  var isEmpty: Bool { count == 0 }

  /// How many waiting frames go ahead of the bulk: sealed before any bulk frame.
  var sparseCount: Int { sparse.count }

  /// The length of the frame `popFirst()` would return next, or nil when none waits.
  var nextLength: Int? { sparse.first?.length ?? bulk.first?.length }

  /// A free slot to read into, or nil when every slot holds a frame; give it back with
  /// `giveBack(_:)` if the read brought nothing.
  mutating func takeFreeSlot() -> Int? {
    free.popLast()
  }

  /// Returns a slot taken with `takeFreeSlot()` that the read left empty.
  mutating func giveBack(_ slot: Int) {
    free.append(slot)
  }

  /// Queues a frame just read: ahead of the bulk when nothing of its flow waits, else behind
  /// the last waiting frame (so a flow's frames keep their order).
  mutating func add(_ frame: Frame) {
    if sparse.holds(flow: frame.flow) || bulk.holds(flow: frame.flow) {
      bulk.append(frame)
    } else {
      sparse.append(frame)
    }
  }

  /// The next frame to seal: a sparse flow's, else the oldest bulk frame; its slot stays in
  /// use until `sealedInPlace(_:)` and `sent()`.
  mutating func popFirst() -> Frame? {
    sparse.popFirst() ?? bulk.popFirst()
  }

  /// Notes that the frame in `slot` was sealed: its slot frees once its datagrams are sent.
  mutating func sealedInPlace(_ slot: Int) {
    sealed.append(slot)
  }

  /// The datagrams of every sealed frame were sent: their slots are free again.
  mutating func sent() {
    free.append(contentsOf: sealed)
    sealed.removeAll(keepingCapacity: true)
  }
}

/// A first-in, first-out ring of frames of fixed capacity.
private struct FrameRing {
  private var entries: [TapBacklog.Frame]
  private var head = 0
  private(set) var count = 0

  init(capacity: Int) {
    entries = Array(
      repeating: TapBacklog.Frame(slot: 0, length: 0, offload: nil, flow: 0), count: capacity)
  }

  var first: TapBacklog.Frame? { count > 0 ? entries[head] : nil }

  func holds(flow: UInt32) -> Bool {
    var i = head
    for _ in 0..<count {
      if entries[i].flow == flow { return true }
      i = i + 1 == entries.count ? 0 : i + 1
    }
    return false
  }

  mutating func append(_ frame: TapBacklog.Frame) {
    precondition(count < entries.count, "more frames than slots")
    entries[(head + count) % entries.count] = frame
    count += 1
  }

  mutating func popFirst() -> TapBacklog.Frame? {
    guard count > 0 else { return nil }
    let frame = entries[head]
    head = head + 1 == entries.count ? 0 : head + 1
    count -= 1
    return frame
  }
}
