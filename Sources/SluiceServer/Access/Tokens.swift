import Crypto

/// Token values: `slc_` and 52 characters of base32 (256 random bits), so secret scanners can
/// recognise a leaked one by its prefix. Only the SHA-256 of a token is stored: a token is as
/// random as a key, so a fast hash is enough (there is nothing to guess, unlike a password).
public enum TokenValue {
    public static let prefix = "slc_"
    static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// A new random token.
    public static func make() -> String {
        var rng = SystemRandomNumberGenerator()
        var bytes = Array(prefix.utf8)
        // 52 characters of 5 bits each: 260 bits drawn, 256 of which are needed.
        for _ in 0..<4 {
            var word = rng.next() as UInt64
            for _ in 0..<13 {
                bytes.append(alphabet[Int(word & 31)])
                word >>= 5
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `value` has a token's form (it may still be unknown): `slc_` and 40 to 128
    /// letters, digits, `-` or `_` — the generated ones, or one an operator made for the first
    /// admin (`SLUICE_ADMIN_TOKEN=slc_$(openssl rand -hex 32)`).
    public static func isWellFormed(_ value: String) -> Bool {
        let utf8 = value.utf8
        guard (44...132).contains(utf8.count), value.hasPrefix(prefix) else { return false }
        return utf8.dropFirst(4).allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }
    }

    /// Lowercase hex SHA-256 of the token: what the store keeps.
    public static func hash(_ value: String) -> String {
        hex(SHA256.hash(data: Array(value.utf8)))
    }

    /// The CSRF token of a browser session: derived from the session's token, so every node
    /// can check it without storing it, and useless without the cookie.
    static func csrf(forSession value: String) -> String {
        String(hex(SHA256.hash(data: Array("sluice-csrf:\(value)".utf8))).prefix(43))
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
