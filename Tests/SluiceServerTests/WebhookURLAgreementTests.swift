import HTTPTypes
import HummingbirdTesting
import SluiceCore
import SluiceSteps
import SluiceTestSupport
import SluiceWebhooks
import Testing

/// A webhook URL is refused when it is given exactly when every delivery to it would be refused
/// without resolving a name: the creation checks (an execution's `webhook_url`, a subscription's
/// `url`) and the delivery check (`WebhookSender`'s policy, `check(url:)`) run the same list.
@Suite(.testStores) struct WebhookURLAgreementTests {
    /// URLs whose host says where it points without DNS, and whether a server without
    /// `--allow-private-webhooks` refuses them.
    static let urls: [(url: String, refused: Bool)] = [
        ("http://localhost:9/", true),
        ("http://localhost.:9/", true),
        ("http://LOCALHOST:9/", true),
        ("http://LocalHost.:9/", true),
        ("http://api.localhost:9/", true),
        ("http://api.LOCALHOST.:9/", true),
        ("http://%6cocalhost:9/", true),
        ("http://127.0.0.1:9/", true),
        ("http://127.0.0.1.:9/", true),
        ("http://127.1/", true),
        ("http://2130706433/", true),
        ("http://2130706433./", true),
        ("http://0x7f.1/", true),
        ("http://0X7F.0.0.1/", true),
        ("http://0x7f000001/", true),
        ("http://0177.0.0.1/", true),
        ("http://017700000001/", true),
        ("http://0.0.0.0/", true),
        ("http://0/", true),
        ("http://[::1]:9/", true),
        ("http://[0:0:0:0:0:0:0:1]/", true),
        ("http://[::ffff:127.0.0.1]/", true),
        ("http://[::ffff:7f00:1]/", true),
        ("http://[::]/", true),
        ("http://[fe80::1%25eth0]/", true),
        ("http://10.1.2.3/", true),
        ("http://169.254.169.254/latest", true),
        ("http://[fd00::1]/", true),
        ("http://93.184.216.34/hook", false),
        ("https://1.1.1.1:8443/hook", false),
        ("http://0x5db8d822/", false),
        ("http://[2606:4700:4700::1111]/hook", false),
    ]

    @Test func creationAndDeliveryRefuseTheSameURLs() async throws {
        let delivery = WebhookSender.policy(WebhookConfiguration(allowPrivateNetworks: false))
        try await makeWebhookApp(allowPrivate: false).test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            for (url, refused) in Self.urls {
                let execute = try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "\#(url)"}"#)
                let subscribe = try await client.send(.post, "/workflows/\(wf)/webhooks", body: #"{"url": "\#(url)"}"#)
                var deliveryRefused = false
                do throws(DestinationError) {
                    _ = try await delivery.check(url: url)
                } catch {
                    if case .refused = error.reason { deliveryRefused = true } else { Issue.record("\(url): \(error.message)") }
                }
                #expect(deliveryRefused == refused, "delivery: \(url)")
                #expect((execute.status == .badRequest) == refused, "webhook_url \(url): \(execute.text)")
                #expect((subscribe.status == .badRequest) == refused, "subscription \(url): \(subscribe.text)")
                if refused {
                    let message = try expectValidation(execute, path: "webhook_url", code: "refused_destination")
                    #expect(message.contains("--allow-private-webhooks"))
                    try expectValidation(subscribe, path: "url", code: "refused_destination")
                } else {
                    #expect(execute.status == .accepted && subscribe.status == .created)
                }
            }
        }
    }

    @Test func allowingPrivateWebhooksAcceptsThemAll() async throws {
        let delivery = WebhookSender.policy(WebhookConfiguration(allowPrivateNetworks: true))
        try await makeWebhookApp(allowPrivate: true).test(.router) { client in
            let wf = try await client.createWorkflow(seedWorkflow)
            for (url, _) in Self.urls where !url.lowercased().contains("localhost") && !url.contains("%6c") {
                #expect(try await client.send(.post, "/workflows/\(wf)/execute", body: #"{"webhook_url": "\#(url)"}"#).status == .accepted, "\(url)")
                _ = try await delivery.check(url: url)
            }
        }
    }
}
