// Receivers importing SluiceClient get the secret, signature and error types with it.
@_exported import StandardWebhooks
// Callers of the API client build definitions and read outputs as JSON values.
@_exported import enum SluiceCore.JSONValue
@_exported import struct SluiceCore.JSONObject
@_exported import struct SluiceCore.JSONParser
