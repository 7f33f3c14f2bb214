import ArgumentParser
import Foundation
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// `sluice serve|worker` options: where traces go (OTLP over HTTP, through swift-otel). Without
/// an endpoint nothing is traced: no span is made, no trace context stored.
struct TracingOptions: ParsableArguments {
    @Option(help: "Send traces over OTLP/HTTP to this collector, e.g. http://localhost:4318 (/v1/traces is added unless the path ends with it; env SLUICE_OTLP_ENDPOINT or OpenTelemetry's OTEL_EXPORTER_OTLP_ENDPOINT). [default: no tracing]")
    var otlpEndpoint: String?

    @Option(help: "OTLP encoding: http/protobuf or http/json (env OTEL_EXPORTER_OTLP_PROTOCOL).")
    var otlpProtocol: OTLPProtocol = .protobuf

    enum OTLPProtocol: String, ExpressibleByArgument, CaseIterable {
        case protobuf = "http/protobuf"
        case json = "http/json"
    }

    func validate() throws {
        if let otlpEndpoint { _ = try Self.tracesURL(otlpEndpoint) }
    }

    /// The collector's traces URL from the flag, else the environment; `nil`: no tracing.
    func endpoint(environment env: [String: String]) throws -> String? {
        if let otlpEndpoint { return try Self.tracesURL(otlpEndpoint) }
        if let raw = env["SLUICE_OTLP_ENDPOINT"], !raw.isEmpty { return try Self.tracesURL(raw) }
        // OpenTelemetry's own variables: the traces one is the full URL, the general one a base.
        if let raw = env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"], !raw.isEmpty { return raw }
        if let raw = env["OTEL_EXPORTER_OTLP_ENDPOINT"], !raw.isEmpty { return try Self.tracesURL(raw) }
        return nil
    }

    static func tracesURL(_ raw: String) throws -> String {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else {
            throw ValidationError("--otlp-endpoint must be an http or https URL such as http://localhost:4318, found \"\(raw)\"")
        }
        if url.path.hasSuffix("/v1/traces") { return raw }
        return (raw.hasSuffix("/") ? String(raw.dropLast()) : raw) + "/v1/traces"
    }

    /// The tracer and the service that exports its spans (run it in the service group, where it
    /// flushes what is left on shutdown); `nil` when no endpoint is configured. Bootstraps the
    /// process-wide tracer too, which Hummingbird's `TracingMiddleware` uses for request spans.
    func backend(environment env: [String: String], logger: Logger) throws -> (tracer: any Tracer, service: any Service)? {
        guard let endpoint = try endpoint(environment: env) else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = "sluice"
        configuration.metrics.enabled = false
        configuration.logs.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        configuration.traces.otlpExporter.endpoint = endpoint
        configuration.traces.otlpExporter.protocol = otlpProtocol == .json ? .httpJSON : .httpProtobuf
        configuration.diagnosticLogger = .custom(logger)
        let (tracer, service) = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(tracer)
        logger.notice("traces go to \(endpoint) (\(otlpProtocol.rawValue))")
        return (tracer, service)
    }
}
