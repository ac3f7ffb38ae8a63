namespace InferenceServer.Security;

/// <summary>The <c>InferenceServer:Auth</c> section: API keys with roles.</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Require an API key on every endpoint except health. Disable only for local development (a warning is logged).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Keys given in configuration (plain secrets, e.g. from environment variables or a secret store).</summary>
    public List<ApiKeyEntry> Keys { get; set; } = [];

    /// <summary>A file of salted hashes, one key per line: <c>id:role:salt-hex:sha256-hex[:feed,feed...]</c>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Whether /metrics needs a key (any role).</summary>
    public bool ProtectMetrics { get; set; }
}

/// <summary>One configured key.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>Name used in logs and the audit trail (never the key itself).</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary><c>camera</c>, <c>operator</c> or <c>admin</c>.</summary>
    public string Role { get; set; } = string.Empty;

    /// <summary>The secret, when given in configuration.</summary>
    public string? Key { get; set; }

    /// <summary>Feeds a camera key may watch (empty: none).</summary>
    public List<string> Feeds { get; set; } = [];
}
