import NIOCore
@testable import SluiceClient
import Testing

/// The line splitter and the Server-Sent Events parser, on chunks cut anywhere.
@Suite struct StreamParsingTests {
    @Test func linesAreSplitAcrossChunksAndLineEnds() {
        var splitter = LineSplitter()
        var lines: [String] = []
        for chunk in ["a", "b\nc\r", "\nd\re", "\n\nf"] { lines += splitter.push(ByteBuffer(string: chunk)) }
        #expect(lines == ["ab", "c", "d", "e", ""])
        #expect(splitter.finish() == "f")
    }

    @Test func eventsAreDispatchedAtBlankLinesWithTheirIDs() {
        var parser = ServerSentEventParser()
        let text = "retry: 2000\n\n: keep-alive\n\nid: evt_a_1\nevent: x\ndata: {\"a\":\ndata:1}\n\nid: evt_a_2\ndata: 2\n\n"
        var messages: [ServerSentEventParser.Message] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let m = parser.feed(String(line)) { messages.append(m) }
        }
        #expect(messages == [.init(id: "evt_a_1", event: "x", data: "{\"a\":\n1}"), .init(id: "evt_a_2", event: nil, data: "2")])
        #expect(parser.retry == 2000 && parser.lastEventID == "evt_a_2")
    }
}
