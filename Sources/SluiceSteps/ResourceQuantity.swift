import SluiceCore

/// Reads Kubernetes resource quantities, as `resources.limits` writes them: CPUs as a number or
/// a string (`2`, `0.5`, `"500m"`), memory as bytes or a string with a suffix (`"256Mi"`,
/// `"1Gi"`, `"512M"`, `"1e9"`).
enum ResourceQuantity {
    /// Why a value is not a quantity, in words for the person who wrote it.
    struct Problem: Error, Equatable, ExpressibleByStringInterpolation {
        var message: String
        init(stringLiteral value: String) { message = value }
    }

    /// The smallest CPU limit podman and docker accept.
    static let minCPUs = 0.01
    /// The smallest memory limit podman and docker accept: 6 MiB.
    static let minMemoryBytes = 6 << 20

    static let binarySuffixes: [(String, Double)] = [("Ki", 0x1p10), ("Mi", 0x1p20), ("Gi", 0x1p30), ("Ti", 0x1p40), ("Pi", 0x1p50), ("Ei", 0x1p60)]
    static let decimalSuffixes: [(String, Double)] = [("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18)]

    /// The number of CPUs `value` gives, or why it gives none.
    static func cpus(_ value: JSONValue) -> Result<Double, Problem> {
        let expected = "expected a number of CPUs above 0 such as 2, 0.5 or \"500m\" (thousandths)"
        var n: Double?
        switch value {
        case .number(let v): n = v
        case .string(let s):
            if s.hasSuffix("m"), let milli = plainNumber(String(s.dropLast())) { n = milli / 1000 } else { n = plainNumber(s) }
        default: return .failure("\(expected), found \(value.described)")
        }
        guard let cpus = n, cpus.isFinite else { return .failure("\(expected), found \(value.jsonString)") }
        guard cpus >= minCPUs else { return .failure("expected at least \(minCPUs) CPUs (\"10m\"), the least podman and docker accept, found \(value.jsonString)") }
        return .success(cpus)
    }

    /// The number of bytes `value` gives, or why it gives none.
    static func memory(_ value: JSONValue) -> Result<Int, Problem> {
        let expected = "expected bytes as a whole number or a string such as \"256Mi\", \"1Gi\" (binary: Ki, Mi, Gi, Ti) or \"512M\" (decimal: k, M, G, T)"
        var n: Double?
        switch value {
        case .number(let v): n = v
        case .string(let s):
            if let (suffix, factor) = (binarySuffixes + decimalSuffixes).first(where: { s.hasSuffix($0.0) }) {
                n = plainNumber(String(s.dropLast(suffix.count))).map { $0 * factor }
            } else {
                n = plainNumber(s)
            }
        default: return .failure("\(expected), found \(value.described)")
        }
        guard let bytes = n, bytes.isFinite, bytes < 0x1p62 else { return .failure("\(expected), found \(value.jsonString)") }
        let whole = Int(bytes.rounded(.up))
        guard whole >= minMemoryBytes else { return .failure("expected at least 6Mi (\(minMemoryBytes) bytes), the least podman and docker accept, found \(value.jsonString)") }
        return .success(whole)
    }

    /// `12`, `0.5`, `1e9`, `1.5E3`: a non-negative decimal number without sign or spaces.
    static func plainNumber(_ s: String) -> Double? {
        guard let first = s.unicodeScalars.first, ("0"..."9").contains(first) || first == ".",
              s.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || $0 == "." || $0 == "e" || $0 == "E" || $0 == "+" || $0 == "-" }),
              let value = Double(s), value >= 0 else { return nil }
        return value
    }
}
