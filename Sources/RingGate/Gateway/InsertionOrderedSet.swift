/// A set that remembers insertion order, with O(1) amortised insert, removal and membership.
///
/// Every listing the gateway reports (group members, a uid's clients, group ids) follows PHP array
/// order (spec §9.3): a re-added element keeps its position, a removed and re-added one moves to the
/// end. Small sets — the common case for a client's groups or a uid's clients — are a plain array
/// searched linearly, costing two words and no hash table; past `indexThreshold` elements a hash index
/// from element to position takes over, removal leaves a hole, and the holes are squeezed out once
/// they outnumber the elements, so removal stays O(1) amortised.
struct InsertionOrderedSet<Element: Hashable> {
    /// Sets up to this many elements are searched linearly.
    static var indexThreshold: Int { 8 }

    /// Elements in insertion order. Holes (nil) occur only while `index` exists.
    private var slots: ContiguousArray<Element?> = []
    /// Element → position in `slots`, present once the set outgrew `indexThreshold`.
    private var index: [Element: Int]? = nil

    /// An empty set.
    init() {}

    /// A set of `elements` in order; repeats keep their first position.
    init(_ elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    /// Number of elements.
    var count: Int { index?.count ?? slots.count }

    /// Whether the set is empty.
    var isEmpty: Bool { count == 0 }

    /// Whether `element` is in the set.
    func contains(_ element: Element) -> Bool {
        if let index { return index[element] != nil }
        return slots.contains(element)
    }

    /// Adds `element` at the end unless present (then its position is kept, like assigning to an
    /// existing PHP array key). Returns whether it was added.
    @discardableResult
    mutating func append(_ element: Element) -> Bool {
        if contains(element) { return false }
        slots.append(element)
        if index != nil {
            index?[element] = slots.count - 1
        } else if slots.count > Self.indexThreshold {
            rebuild()
        }
        return true
    }

    /// Moves `element` to the end, adding it if absent (PHP `unset` then assign).
    mutating func moveToEnd(_ element: Element) {
        remove(element)
        append(element)
    }

    /// Removes `element`; later elements keep their order. Returns whether it was present.
    @discardableResult
    mutating func remove(_ element: Element) -> Bool {
        guard var positions = index else {
            guard let position = slots.firstIndex(of: element) else { return false }
            slots.remove(at: position)
            return true
        }
        index = nil  // `positions` is now the only reference, so editing it does not copy
        guard let position = positions.removeValue(forKey: element) else {
            index = positions
            return false
        }
        slots[position] = nil
        while let last = slots.last, last == nil { slots.removeLast() }
        if positions.count <= Self.indexThreshold / 2 {
            slots = ContiguousArray(slots.lazy.compactMap { $0 })  // back to the small form
        } else if slots.count - positions.count > positions.count {
            rebuild()
        } else {
            index = positions
        }
        return true
    }

    /// Squeezes out holes and rebuilds the index over the remaining elements.
    private mutating func rebuild() {
        slots = ContiguousArray(slots.lazy.compactMap { $0 })
        var positions: [Element: Int] = [:]
        positions.reserveCapacity(slots.count)
        for (position, element) in slots.enumerated() {
            if let element { positions[element] = position }
        }
        index = positions
    }
}

extension InsertionOrderedSet: Sequence {
    /// Visits the elements in insertion order.
    struct Iterator: IteratorProtocol {
        fileprivate var slots: ContiguousArray<Element?>
        fileprivate var position = 0

        mutating func next() -> Element? {
            while position < slots.count {
                defer { position += 1 }
                if let element = slots[position] { return element }
            }
            return nil
        }
    }

    /// Visits the elements in insertion order.
    func makeIterator() -> Iterator { Iterator(slots: slots) }

    /// The number of elements.
    var underestimatedCount: Int { count }
}

extension InsertionOrderedSet: Equatable {
    /// Equal when both hold the same elements in the same order.
    static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.elementsEqual(rhs)
    }
}

extension InsertionOrderedSet: ExpressibleByArrayLiteral {
    /// A set of the literal's elements in order.
    init(arrayLiteral elements: Element...) {
        self.init(elements)
    }
}
