/// Figures read from `ss -tin` output (iproute2), whose per-socket detail lines carry `key:value` tokens.
public enum SocketStatistics {
    /// The sum over every socket of the number after `key` (for example `data_segs_out:`). The key must start a
    /// token, so `data_segs_out:` does not also match inside `xdata_segs_out:`; a key without digits counts 0.
    public static func sum(of key: String, in output: [UInt8]) -> Int {
        let key = Array(key.utf8)
        guard !key.isEmpty else { return 0 }
        var total = 0
        var index = 0
        while index + key.count <= output.count {
            let startsToken = index == 0 || output[index - 1] == 32 || output[index - 1] == 9 || output[index - 1] == 10
            guard startsToken, output[index..<index + key.count].elementsEqual(key) else {
                index += 1
                continue
            }
            index += key.count
            var value = 0
            while index < output.count, output[index] >= 48, output[index] <= 57, value < Int.max / 10 - 10 {
                value = value * 10 + Int(output[index] - 48)
                index += 1
            }
            total += value
        }
        return total
    }
}
