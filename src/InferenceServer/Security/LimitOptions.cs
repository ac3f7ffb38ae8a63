namespace InferenceServer.Security;

/// <summary>Per-key limits (the <c>InferenceServer:Limits</c> section); 0 means unlimited.</summary>
public sealed class LimitOptions
{
    /// <summary>Sustained requests per second per key (a StreamDetect call counts once).</summary>
    public double RequestsPerSecondPerKey { get; set; }

    /// <summary>Requests a key may make in a burst above the sustained rate.</summary>
    public int BurstPerKey { get; set; } = 20;

    /// <summary>Requests of one key in progress at the same time.</summary>
    public int ConcurrentRequestsPerKey { get; set; }

    /// <summary>Open StreamDetect calls per key.</summary>
    public int StreamsPerKey { get; set; }

    public string? Validate()
    {
        if (RequestsPerSecondPerKey < 0 || BurstPerKey < 1 || ConcurrentRequestsPerKey < 0 || StreamsPerKey < 0)
        {
            return "RequestsPerSecondPerKey, ConcurrentRequestsPerKey and StreamsPerKey must be >= 0 and BurstPerKey >= 1.";
        }

        return null;
    }
}
