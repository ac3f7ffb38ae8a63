namespace InferenceServer.Security;

/// <summary>TLS for the HTTP and gRPC listeners (the <c>InferenceServer:Tls</c> section); off when no certificate is set.</summary>
public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) of the server.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>PEM private key of the server certificate.</summary>
    public string? KeyPath { get; set; }

    /// <summary><c>none</c>, <c>allow</c> or <c>require</c> a client certificate (mTLS).</summary>
    public string ClientCertificates { get; set; } = "none";

    /// <summary>PEM CA certificate(s) that client certificates must chain to (required with allow/require).</summary>
    public string? ClientCaPath { get; set; }

    /// <summary>Also serve /metrics over TLS.</summary>
    public bool Metrics { get; set; }

    public bool Enabled => !string.IsNullOrEmpty(CertificatePath);

    public string? Validate()
    {
        if (!Enabled)
        {
            return ClientCertificates == "none" ? null : "ClientCertificates needs CertificatePath and KeyPath (TLS) first.";
        }

        if (string.IsNullOrEmpty(KeyPath))
        {
            return "KeyPath is required with CertificatePath.";
        }

        foreach (var (name, path) in new[] { ("CertificatePath", CertificatePath), ("KeyPath", KeyPath), ("ClientCaPath", ClientCaPath) })
        {
            if (!string.IsNullOrEmpty(path) && !File.Exists(path))
            {
                return $"{name} '{path}' does not exist.";
            }
        }

        if (ClientCertificates is not ("none" or "allow" or "require"))
        {
            return $"ClientCertificates must be none, allow or require (got '{ClientCertificates}').";
        }

        return ClientCertificates != "none" && string.IsNullOrEmpty(ClientCaPath) ? "ClientCaPath is required to verify client certificates." : null;
    }
}
