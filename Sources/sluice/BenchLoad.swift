import Foundation
import NIOCore
import NIOPosix
import SluiceCore

/// The load `sluice bench` puts on servers: `concurrency` keep-alive HTTP/1.1 connections on one
/// event-loop thread, each running executions one after another (POST …/execute, then GET
/// …/executions/{id}?wait=30, which must answer COMPLETED). Requests are written as bytes and
/// answers read with just enough parsing to check them: on a machine the servers share, the
/// benchmark should spend its CPU on the servers, not on itself.
enum BenchLoad {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Where the connections go (`http://host:port`, no path).
    struct Target {
        var host: String
        var port: Int

        init(_ base: String) throws {
            guard let url = URL(string: base), url.scheme == "http", let host = url.host else {
                throw Failure(description: "cannot benchmark \(base): expected http://host:port")
            }
            self.host = host
            self.port = url.port ?? 80
        }
    }

    /// Runs `count` executions of `workflowID`, `concurrency` at once, connection `i` going to
    /// `bases[i % bases.count]`; returns each execution's latency in seconds.
    static func run(bases: [String], workflowID: String, count: Int, concurrency: Int, token: String? = nil) async throws -> [Double] {
        let targets = try bases.map(Target.init)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let state = State(count: count, workflowID: workflowID, loop: loop)
        state.authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
        let connections = min(concurrency, count)
        do {
            let result: [Double] = try await withCheckedThrowingContinuation { continuation in
                loop.execute {
                    state.start(connections: connections, done: continuation)
                    for i in 0..<connections {
                        let target = targets[i % targets.count]
                        ClientBootstrap(group: group)
                            .channelOption(.socketOption(.tcp_nodelay), value: 1)
                            .channelInitializer { channel in
                                channel.eventLoop.makeCompletedFuture {
                                    try channel.pipeline.syncOperations.addHandler(Connection(state: state, host: "\(target.host):\(target.port)"))
                                }
                            }
                            .connect(host: target.host, port: target.port)
                            .whenFailure { error in state.fail("cannot connect to \(target.host):\(target.port): \(error)") }
                    }
                }
            }
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// What the connections share; used on the event loop only.
    final class State: @unchecked Sendable {
        let count: Int
        let workflowID: String
        let loop: any EventLoop
        var next = 0
        var latencies: [Double] = []
        var open = 0
        var failure: String?
        var done: CheckedContinuation<[Double], any Error>?
        var channels: [any Channel] = []
        /// The `Authorization` header line every request carries (empty without a token).
        var authorization = ""

        init(count: Int, workflowID: String, loop: any EventLoop) {
            self.count = count
            self.workflowID = workflowID
            self.loop = loop
            latencies.reserveCapacity(count)
        }

        func start(connections: Int, done: CheckedContinuation<[Double], any Error>) {
            open = connections
            self.done = done
        }

        /// The next execution slot, or nil once every one is taken (or the run failed).
        func take() -> Int? {
            guard failure == nil, next < count else { return nil }
            next += 1
            return next - 1
        }

        func fail(_ message: String) {
            loop.preconditionInEventLoop()
            if failure == nil { failure = message }
            for c in channels { c.close(promise: nil) }
            finished()
        }

        /// A connection has no more work.
        func finished() {
            open -= 1
            guard open <= 0, let done else { return }
            self.done = nil
            if let failure { done.resume(throwing: Failure(description: failure)) } else { done.resume(returning: latencies) }
        }
    }

    /// One connection: sends an execute, then the wait for it, and so on; checks each answer.
    final class Connection: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer

        enum Phase { case idle, executing, waiting, closed }

        let state: State
        let host: String
        var phase = Phase.idle
        var buffer = ByteBuffer()
        var started = NIODeadline.now()
        var executionID = ""

        init(state: State, host: String) {
            self.state = state
            self.host = host
        }

        func channelActive(context: ChannelHandlerContext) {
            state.channels.append(context.channel)
            nextExecution(context)
        }

        func nextExecution(_ context: ChannelHandlerContext) {
            guard state.take() != nil else {
                phase = .closed
                context.close(promise: nil)
                state.finished()
                return
            }
            phase = .executing
            started = .now()
            send(context, "POST /workflows/\(state.workflowID)/execute HTTP/1.1\r\nHost: \(host)\r\n\(state.authorization)Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        }

        func send(_ context: ChannelHandlerContext, _ request: String) {
            var out = context.channel.allocator.buffer(capacity: request.utf8.count)
            out.writeString(request)
            context.writeAndFlush(NIOAny(out), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var incoming = unwrapInboundIn(data)
            buffer.writeBuffer(&incoming)
            while let (status, body) = Self.response(&buffer) {
                handle(context, status: status, body: body)
                if phase == .closed { return }
            }
        }

        func handle(_ context: ChannelHandlerContext, status: Int, body: [UInt8]) {
            let json = (try? JSONParser.parse(body)) ?? .null
            switch phase {
            case .executing:
                guard status == 202, let id = json["execution_id"]?.stringValue else {
                    return fail(context, "execute failed: \(status) \(String(decoding: body, as: UTF8.self))")
                }
                executionID = id
                phase = .waiting
                send(context, "GET /workflows/\(state.workflowID)/executions/\(id)?wait=30 HTTP/1.1\r\nHost: \(host)\r\n\(state.authorization)\r\n")
            case .waiting:
                guard status == 200, json["status"] == "COMPLETED" else {
                    return fail(context, "execution \(executionID) did not complete: \(status) \(String(decoding: body, as: UTF8.self))")
                }
                state.latencies.append(Double((NIODeadline.now() - started).nanoseconds) / 1e9)
                nextExecution(context)
            case .idle, .closed:
                fail(context, "an answer nobody asked for: \(status)")
            }
        }

        func fail(_ context: ChannelHandlerContext, _ message: String) {
            phase = .closed
            state.fail(message)
        }

        func channelInactive(context: ChannelHandlerContext) {
            guard phase != .closed else { return }
            phase = .closed
            state.fail("the server closed a connection (\(host)) in the middle of an execution")
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            guard phase != .closed else { return }
            fail(context, "connection to \(host) failed: \(error)")
        }

        /// Takes one complete response (status and body) from the front of `buffer`, if there is
        /// one. Only what a Sluice server answers: `Content-Length` bodies.
        static func response(_ buffer: inout ByteBuffer) -> (Int, [UInt8])? {
            let view = buffer.readableBytesView
            guard let end = headerEnd(view) else { return nil }
            let head = view[view.startIndex..<end]
            guard head.count > 12 else { return nil }
            let status = head.dropFirst(9).prefix(3).reduce(0) { $0 * 10 + Int($1) - 48 }
            let length = contentLength(head) ?? 0
            let bodyStart = end + 4
            guard view.endIndex - bodyStart >= length else { return nil }
            let body = Array(view[bodyStart..<bodyStart + length])
            buffer.moveReaderIndex(forwardBy: bodyStart + length - view.startIndex)
            return (status, body)
        }

        static func headerEnd(_ view: ByteBufferView) -> Int? {
            var i = view.startIndex
            while i + 3 < view.endIndex {
                if view[i] == 13, view[i + 1] == 10, view[i + 2] == 13, view[i + 3] == 10 { return i }
                i += 1
            }
            return nil
        }

        static let contentLengthName = Array("content-length:".utf8)

        static func contentLength(_ head: ByteBufferView.SubSequence) -> Int? {
            var i = head.startIndex
            let name = contentLengthName
            while i + name.count < head.endIndex {
                var matches = true
                for k in 0..<name.count where head[i + k] | 0x20 != name[k] | 0x20 {
                    matches = false
                    break
                }
                if matches {
                    var j = i + name.count
                    while j < head.endIndex, head[j] == 32 { j += 1 }
                    var n = 0
                    while j < head.endIndex, head[j] >= 48, head[j] <= 57 {
                        n = n * 10 + Int(head[j]) - 48
                        j += 1
                    }
                    return n
                }
                i += 1
            }
            return nil
        }
    }
}
