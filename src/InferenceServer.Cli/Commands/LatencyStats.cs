namespace InferenceServer.Cli.Commands;

/// <summary>Percentiles over collected samples (milliseconds).</summary>
internal sealed class LatencyStats
{
    private readonly List<double> _samples = [];
    private readonly object _lock = new();

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _samples.Count;
            }
        }
    }

    public void Add(double ms)
    {
        lock (_lock)
        {
            _samples.Add(ms);
        }
    }

    public double Percentile(double p)
    {
        lock (_lock)
        {
            if (_samples.Count == 0)
            {
                return double.NaN;
            }

            var sorted = _samples.Order().ToArray();
            int index = (int)Math.Ceiling((p / 100.0) * sorted.Length) - 1;
            return sorted[Math.Clamp(index, 0, sorted.Length - 1)];
        }
    }

    public double Mean()
    {
        lock (_lock)
        {
            return _samples.Count == 0 ? double.NaN : _samples.Average();
        }
    }
}
