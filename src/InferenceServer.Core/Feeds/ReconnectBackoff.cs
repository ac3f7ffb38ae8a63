namespace InferenceServer.Core.Feeds;

/// <summary>
/// Exponential backoff with jitter between reconnect attempts: attempt n waits a random time in
/// [d/2, d] with d = min(max, min · 2^(n-1)), so cameras that dropped together do not all retry together.
/// </summary>
internal sealed class ReconnectBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _max;
    private readonly Random _random;

    public ReconnectBackoff(TimeSpan min, TimeSpan max, Random? random = null)
    {
        _min = min;
        _max = max;
        _random = random ?? Random.Shared;
    }

    /// <summary>The delay before attempt <paramref name="failures"/> (1 for the first retry).</summary>
    public TimeSpan Delay(int failures)
    {
        double ceiling = Math.Min(_max.TotalSeconds, _min.TotalSeconds * Math.Pow(2, Math.Clamp(failures - 1, 0, 30)));
        return TimeSpan.FromSeconds(ceiling * (0.5 + (0.5 * _random.NextDouble())));
    }

    /// <summary>The longest wait any attempt can have.</summary>
    public TimeSpan Bound => _max;
}
