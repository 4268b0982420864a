/// A PHP array: an insertion-ordered map from `PHPKey` to `PHPValue` (spec §9.3).
///
/// Order is part of PHP's semantics and of every reply the gateway writes: assigning to an existing
/// key keeps its position, a new key is appended, and removing then re-adding a key moves it to the
/// end. Entries live in two parallel arrays; a hash index from key to position is built only once an
/// array grows past `linearSearchLimit` entries, so the small arrays that dominate sessions cost no
/// dictionary. Lookup, insert and update are O(1) (amortised); removal is O(n) because it closes the
/// gap to keep order, and is rare (the gateway's merges never remove).
public struct PHPArray: Sendable {
    /// Arrays up to this many entries are searched linearly instead of through the hash index.
    static let linearSearchLimit = 8

    private var entryKeys: [PHPKey] = []
    private var entryValues: [PHPValue] = []
    private var index: [PHPKey: Int]? = nil
    /// PHP's `nNextFreeElement` (PHP < 8.3 rules): one past the largest integer key ever inserted,
    /// at least 0; nil once that would exceed `Int64.max`.
    private var nextFreeInteger: Int64? = 0

    /// An empty array.
    public init() {}

    /// An empty array with room for `capacity` entries.
    public init(minimumCapacity capacity: Int) {
        entryKeys.reserveCapacity(capacity)
        entryValues.reserveCapacity(capacity)
    }

    /// An array of `values` under the keys 0, 1, 2, … (a PHP list).
    public init(list values: [PHPValue]) {
        self.init(minimumCapacity: values.count)
        for value in values { append(value) }
    }

    /// An array of `entries` in order; a later duplicate key overwrites the value in place.
    public init(_ entries: [(key: PHPKey, value: PHPValue)]) {
        self.init(minimumCapacity: entries.count)
        for entry in entries { self[entry.key] = entry.value }
    }

    /// Number of entries.
    public var count: Int { entryKeys.count }

    /// Whether the array has no entries.
    public var isEmpty: Bool { entryKeys.isEmpty }

    /// Keys in order.
    public var keys: [PHPKey] { entryKeys }

    /// Values in order.
    public var values: [PHPValue] { entryValues }

    /// Whether the keys are exactly 0, 1, 2, … in order (PHP's `array_is_list`).
    public var isList: Bool {
        for (position, key) in entryKeys.enumerated() where key != .int(Int64(position)) { return false }
        return true
    }

    /// The entry at `position` (0-based, in order).
    public subscript(position position: Int) -> (key: PHPKey, value: PHPValue) {
        (entryKeys[position], entryValues[position])
    }

    /// The value under `key`. Setting a new key appends it; setting an existing key replaces the value
    /// in place; setting nil removes the entry.
    public subscript(key: PHPKey) -> PHPValue? {
        get { position(of: key).map { entryValues[$0] } }
        set {
            if let newValue {
                updateValue(newValue, forKey: key)
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Position of `key` in the order, or nil.
    public func position(of key: PHPKey) -> Int? {
        if let index { return index[key] }
        return entryKeys.firstIndex(of: key)
    }

    /// Sets the value under `key` (in place when present, appended otherwise) and returns the old
    /// value.
    @discardableResult
    public mutating func updateValue(_ value: PHPValue, forKey key: PHPKey) -> PHPValue? {
        if let position = position(of: key) {
            let old = entryValues[position]
            entryValues[position] = value
            return old
        }
        entryKeys.append(key)
        entryValues.append(value)
        if index != nil {
            index?[key] = entryKeys.count - 1
        } else if entryKeys.count > Self.linearSearchLimit {
            rebuildIndex()
        }
        if case .int(let integer) = key, let next = nextFreeInteger, integer >= next {
            nextFreeInteger = integer == Int64.max ? nil : integer + 1
        }
        return nil
    }

    /// `$array[] = value`: appends under the next free integer key. Returns false (and changes
    /// nothing) when that key would exceed `Int64.max`, where PHP raises an error.
    @discardableResult
    public mutating func append(_ value: PHPValue) -> Bool {
        guard let next = nextFreeInteger else { return false }
        updateValue(value, forKey: .int(next))
        return true
    }

    /// Removes the entry under `key` and returns its value; later entries keep their order.
    @discardableResult
    public mutating func removeValue(forKey key: PHPKey) -> PHPValue? {
        guard let position = position(of: key) else { return nil }
        entryKeys.remove(at: position)
        let old = entryValues.remove(at: position)
        if index != nil {
            if entryKeys.count > Self.linearSearchLimit { rebuildIndex() } else { index = nil }
        }
        return old
    }

    private mutating func rebuildIndex() {
        var rebuilt: [PHPKey: Int] = [:]
        rebuilt.reserveCapacity(entryKeys.count)
        for (position, key) in entryKeys.enumerated() { rebuilt[key] = position }
        index = rebuilt
    }
}

extension PHPArray: Sequence {
    /// Iterates `(key, value)` pairs in order.
    public struct Iterator: IteratorProtocol {
        private let array: PHPArray
        private var position = 0

        init(_ array: PHPArray) { self.array = array }

        /// The next entry in order.
        public mutating func next() -> (key: PHPKey, value: PHPValue)? {
            guard position < array.count else { return nil }
            defer { position += 1 }
            return array[position: position]
        }
    }

    /// Iterates `(key, value)` pairs in order.
    public func makeIterator() -> Iterator { Iterator(self) }

    /// The number of entries.
    public var underestimatedCount: Int { count }
}

extension PHPArray: Hashable {
    /// Equal when the same keys map to equal values in the same order (PHP `===`).
    public static func == (lhs: PHPArray, rhs: PHPArray) -> Bool {
        lhs.entryKeys == rhs.entryKeys && lhs.entryValues == rhs.entryValues
    }

    /// Hashes keys and values in order.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(entryKeys)
        hasher.combine(entryValues)
    }
}

extension PHPArray: ExpressibleByDictionaryLiteral, ExpressibleByArrayLiteral {
    /// An array of the pairs in literal order; string keys are normalised like PHP's.
    public init(dictionaryLiteral elements: (PHPKey, PHPValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }

    /// A list of the values under keys 0, 1, 2, ….
    public init(arrayLiteral elements: PHPValue...) {
        self.init(list: elements)
    }
}
