#if SLUICE_LIBFUZZER
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The target this fuzzer binary drives, from `SLUICE_FUZZ_TARGET` (`.ci/fuzz` sets it).
private let selectedTarget: FuzzTarget = {
    guard let name = getenv("SLUICE_FUZZ_TARGET").map({ String(cString: $0) }), let target = FuzzTarget(rawValue: name) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
        fatalError("set SLUICE_FUZZ_TARGET to one of: \(names)")
    }
    return target
}()

/// libFuzzer's entry point: only in the fuzzer build (`.ci/fuzz` compiles this target with
/// `-sanitize=fuzzer -DSLUICE_LIBFUZZER` and links it with libFuzzer's `main`). A broken property
/// is a crash, which libFuzzer saves as the input that caused it.
@_cdecl("LLVMFuzzerTestOneInput")
public func sluiceFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let problem = selectedTarget.check(bytes) {
        fatalError("\(selectedTarget.rawValue): \(problem)")
    }
    return 0
}
#endif
