/// One line a generator process writes: a word and integer fields, `word key=value key=value`.
public struct ReportLine: Equatable, Sendable {
    public var word: String
    public var fields: [String: Int]

    public init(word: String, fields: [String: Int]) {
        self.word = word
        self.fields = fields
    }

    /// Parses a line; nil for an empty one.
    public init?(parsing line: Substring) {
        let words = line.split(separator: " ")
        guard let first = words.first else { return nil }
        word = String(first)
        fields = [:]
        for pair in words.dropFirst() {
            guard let equals = pair.firstIndex(of: "="), let value = Int(pair[pair.index(after: equals)...]) else {
                continue
            }
            fields[String(pair[..<equals])] = value
        }
    }

    public var text: String {
        ([word] + fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }).joined(separator: " ")
    }

    public subscript(key: String) -> Int { fields[key] ?? 0 }
}
