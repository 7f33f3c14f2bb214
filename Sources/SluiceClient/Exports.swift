// Receivers importing SluiceClient get the secret, signature and error types with it.
@_exported import StandardWebhooks
