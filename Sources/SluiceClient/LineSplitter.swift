import NIOCore

/// Cuts a streamed body into lines (ending in LF, CRLF or CR), across chunk boundaries.
struct LineSplitter {
    private var pending: [UInt8] = []
    /// A CR ended the last line; an LF right after it belongs to that line end.
    private var afterCR = false

    /// The lines completed by this chunk, without their line ends.
    mutating func push(_ chunk: ByteBuffer) -> [String] {
        var lines: [String] = []
        for byte in chunk.readableBytesView {
            if afterCR {
                afterCR = false
                if byte == 0x0A { continue }
            }
            if byte == 0x0A || byte == 0x0D {
                lines.append(String(decoding: pending, as: UTF8.self))
                pending.removeAll(keepingCapacity: true)
                afterCR = byte == 0x0D
            } else {
                pending.append(byte)
            }
        }
        return lines
    }

    /// The last line if the body did not end with a line end.
    mutating func finish() -> String? {
        defer { pending = [] }
        return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
    }
}
