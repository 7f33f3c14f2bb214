/// Random public ids: a prefix and 8 lowercase letters or digits (`wf-4g7h8j9k`).
public enum Identifier {
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// A new random id with `prefix` (`"wf"`, `"ex"`, `"task"`).
    public static func make(_ prefix: String) -> String {
        // One 64-bit draw (one system call) gives all 8 characters: 36^8 is far below 2^64, so
        // the modulo bias is below one in 6 million.
        var rng = SystemRandomNumberGenerator()
        var random = rng.next()
        var bytes = Array(prefix.utf8)
        bytes.append(UInt8(ascii: "-"))
        for _ in 0..<8 {
            bytes.append(alphabet[Int(random % 36)])
            random /= 36
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `id` has the form `prefix-xxxxxxxx`.
    public static func isValid(_ id: String, prefix: String) -> Bool {
        let utf8 = Array(id.utf8)
        let p = Array(prefix.utf8)
        guard utf8.count == p.count + 9, Array(utf8[0..<p.count]) == p, utf8[p.count] == UInt8(ascii: "-") else { return false }
        return utf8[(p.count + 1)...].allSatisfy { alphabet.contains($0) }
    }
}
