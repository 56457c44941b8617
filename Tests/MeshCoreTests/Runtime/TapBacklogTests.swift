import MeshProtocol
import Testing

@testable import MeshCore

/// `TapBacklog`: frames of flows with nothing waiting go first, one flow's frames never
/// change order, and slots come back only once their datagrams were sent.
@Suite("Runtime: TAP backlog")
struct TapBacklogTests {
  static func frame(_ slot: Int, flow: UInt32, length: Int = 100) -> TapBacklog.Frame {
    TapBacklog.Frame(slot: slot, length: length, offload: nil, flow: flow)
  }

  /// Reads `flows` into slots as the loop does, one frame each.
  static func read(_ flows: [UInt32], into backlog: inout TapBacklog) -> [Int] {
    flows.map { flow in
      let slot = backlog.takeFreeSlot()!
      backlog.add(frame(slot, flow: flow))
      return slot
    }
  }

  static func drain(_ backlog: inout TapBacklog) -> [UInt32] {
    var order: [UInt32] = []
    while let f = backlog.popFirst() { order.append(f.flow) }
    return order
  }

  @Test("a frame of a flow with nothing waiting goes ahead of a bulk flow's backlog")
  func sparseFirst() {
    var backlog = TapBacklog(slots: 8)
    _ = Self.read([7, 7, 7, 7, 9], into: &backlog)
    #expect(backlog.sparseCount == 2, "the bulk flow's first frame and the other flow's")
    #expect(Self.drain(&backlog) == [7, 9, 7, 7, 7])
  }

  @Test("one flow's frames keep their order, also after a sparse frame of the same flow")
  func flowOrderKept() {
    var backlog = TapBacklog(slots: 8)
    var slots: [Int] = []
    for flow: UInt32 in [1, 2, 1, 1, 2, 3] {
      let slot = backlog.takeFreeSlot()!
      slots.append(slot)
      backlog.add(Self.frame(slot, flow: flow))
    }
    var order: [(UInt32, Int)] = []
    while let f = backlog.popFirst() { order.append((f.flow, f.slot)) }
    for flow: UInt32 in [1, 2, 3] {
      let read = zip([UInt32(1), 2, 1, 1, 2, 3], slots).filter { $0.0 == flow }.map(\.1)
      #expect(order.filter { $0.0 == flow }.map(\.1) == read, "flow \(flow)")
    }
    #expect(order.prefix(3).map(\.0) == [1, 2, 3], "each flow's first frame first")
  }

  @Test("a slot is free again only after its frame was sealed and sent")
  func slotsComeBackAfterSending() {
    var backlog = TapBacklog(slots: 2)
    _ = Self.read([1, 1], into: &backlog)
    #expect(backlog.takeFreeSlot() == nil, "both slots hold frames")
    let first = backlog.popFirst()!
    backlog.sealedInPlace(first.slot)
    #expect(backlog.takeFreeSlot() == nil, "sealed, but its datagrams are not sent yet")
    backlog.sent()
    #expect(backlog.takeFreeSlot() == first.slot)
    #expect(backlog.count == 1)
  }

  @Test("a slot the read left empty is given back")
  func giveBack() {
    var backlog = TapBacklog(slots: 1)
    let slot = backlog.takeFreeSlot()!
    backlog.giveBack(slot)
    #expect(backlog.takeFreeSlot() == slot)
    #expect(backlog.isEmpty)
  }

  @Test("the rings wrap around many times without losing a frame")
  func wrapsAround() {
    var backlog = TapBacklog(slots: 4)
    var popped = 0
    for round in 0..<100 {
      let flows: [UInt32] = [UInt32(round % 3), UInt32(round % 3), 99]
      _ = Self.read(flows, into: &backlog)
      while let f = backlog.popFirst() {
        backlog.sealedInPlace(f.slot)
        popped += 1
      }
      backlog.sent()
    }
    #expect(popped == 300)
    #expect(backlog.isEmpty)
  }
}
