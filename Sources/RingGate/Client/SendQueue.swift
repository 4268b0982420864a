import RingGateRuntime

/// Per-connection ordered send queues, stored as linked nodes in one shard-wide pool so that a connection
/// with nothing to send holds only three integers.
///
/// A node references a range of a chunk; the chunk is retained once per node, so one encoded broadcast
/// frame sits in many queues without being copied.
struct SendQueuePool {
    /// The three integers a connection keeps.
    struct Ends: Equatable {
        static let empty = Ends(head: SendQueuePool.none, tail: SendQueuePool.none, byteCount: 0)
        var head: UInt32
        var tail: UInt32
        /// Bytes queued and not yet accepted by the kernel (what workerman compares with the limit).
        var byteCount: UInt32
        var isEmpty: Bool { head == SendQueuePool.none }
    }

    struct Node {
        var chunk: Chunk
        var start: UInt32
        var end: UInt32
        var next: UInt32
    }

    static let none = UInt32.max
    private var nodes: ContiguousArray<Node> = []
    private var freeList = SendQueuePool.none

    /// Nodes allocated and not free (for metrics and leak checks).
    private(set) var liveCount = 0

    /// Drops the node storage once nothing is queued anywhere and it holds more than `keeping` nodes: a
    /// burst (every client answered at once) must not leave its peak in an idle shard. Returns the bytes
    /// given back.
    mutating func releaseStorageIfIdle(keeping: Int = 1_024) -> Int {
        guard liveCount == 0, nodes.count > keeping else { return 0 }
        let released = nodes.capacity * MemoryLayout<Node>.stride
        nodes = []
        freeList = Self.none
        return released
    }

    mutating func append(_ chunk: Chunk, range: Range<Int>, to ends: inout Ends) {
        let node = Node(chunk: chunk, start: UInt32(range.lowerBound), end: UInt32(range.upperBound), next: Self.none)
        let index: UInt32
        if freeList != Self.none {
            index = freeList
            freeList = nodes[Int(index)].next
            nodes[Int(index)] = node
        } else {
            index = UInt32(nodes.count)
            nodes.append(node)
        }
        liveCount += 1
        if ends.tail == Self.none {
            ends.head = index
        } else {
            nodes[Int(ends.tail)].next = index
        }
        ends.tail = index
        ends.byteCount &+= UInt32(range.count)
    }

    /// Puts a node at the front (the HTTP 101 response goes before messages queued during the handshake).
    mutating func prepend(_ chunk: Chunk, range: Range<Int>, to ends: inout Ends) {
        var front = Ends.empty
        append(chunk, range: range, to: &front)
        nodes[Int(front.head)].next = ends.head
        if ends.tail == Self.none { ends.tail = front.head }
        ends.head = front.head
        ends.byteCount &+= front.byteCount
    }

    func head(of ends: Ends) -> Node? {
        ends.isEmpty ? nil : nodes[Int(ends.head)]
    }

    /// Visits the queue's nodes from the head (a takeover copies the unsent bytes out).
    func forEachNode(of ends: Ends, _ body: (Node) -> Void) {
        var index = ends.head
        while index != Self.none {
            body(nodes[Int(index)])
            index = nodes[Int(index)].next
        }
    }

    /// How many nodes from the head (none unless at least two) hold at most `limit` unsent bytes together,
    /// and how many bytes that is: the run a coalesced send can take.
    func leadingRun(of ends: Ends, limit: Int) -> (nodes: Int, bytes: Int) {
        var index = ends.head
        var count = 0
        var bytes = 0
        while index != Self.none {
            let size = Int(nodes[Int(index)].end - nodes[Int(index)].start)
            guard bytes + size <= limit else { break }
            bytes += size
            count += 1
            index = nodes[Int(index)].next
        }
        return count >= 2 ? (count, bytes) : (0, 0)
    }

    /// Marks `count` bytes of the head node as sent; returns the chunk to release when the node is done.
    mutating func consume(_ count: Int, from ends: inout Ends) -> Chunk? {
        let index = Int(ends.head)
        nodes[index].start += UInt32(count)
        ends.byteCount -= UInt32(count)
        guard nodes[index].start >= nodes[index].end else { return nil }
        return popHead(&ends)
    }

    /// Removes the head node and returns its chunk (to release).
    mutating func popHead(_ ends: inout Ends) -> Chunk {
        let index = ends.head
        let node = nodes[Int(index)]
        ends.byteCount -= node.end - node.start
        ends.head = node.next
        if ends.head == Self.none { ends.tail = Self.none }
        nodes[Int(index)].next = freeList
        freeList = index
        liveCount -= 1
        return node.chunk
    }
}
