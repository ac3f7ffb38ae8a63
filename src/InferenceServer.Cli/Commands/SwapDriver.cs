using System.Diagnostics;
using System.Net.Http.Json;

namespace InferenceServer.Cli.Commands;

/// <summary>
/// Promotes model versions in turn while the load runs, and splits latency into steady state and "during a
/// swap" (from a promote call until one second after its first result from the new version), plus the time
/// from each promote call to the first result produced by the promoted version.
/// </summary>
internal sealed class SwapDriver
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);
    private readonly HttpClient _http;
    private readonly string _model;
    private readonly string[] _versions;
    private readonly TimeSpan _interval;
    private readonly LatencyStats _steady = new();
    private readonly LatencyStats _during = new();
    private readonly LatencyStats _toFirst = new();
    private readonly object _lock = new();
    private string? _pending;
    private long _promotedAt;
    private long _windowEnd;
    private int _swaps;
    private int _failures;

    public SwapDriver(string restAddress, string model, string[] versions, double intervalSeconds)
    {
        _http = new HttpClient { BaseAddress = new Uri(restAddress), Timeout = TimeSpan.FromSeconds(120) };
        _model = model;
        _versions = versions;
        _interval = TimeSpan.FromSeconds(intervalSeconds);
    }

    public async Task RunAsync(CancellationToken stop)
    {
        int i = 0;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(_interval, stop);
                string version = _versions[i++ % _versions.Length];
                lock (_lock)
                {
                    _pending = version;
                    _promotedAt = Stopwatch.GetTimestamp();
                    _windowEnd = long.MaxValue;
                }

                using var response = await _http.PostAsJsonAsync($"/v1/models/{_model}/promote", new { version }, stop);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _failures);
                }
                else
                {
                    Interlocked.Increment(ref _swaps);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The load finished.
        }
    }

    public void Observe(string version, double latencyMs, long now)
    {
        lock (_lock)
        {
            if (_pending is not null && version == _pending)
            {
                _toFirst.Add(Stopwatch.GetElapsedTime(_promotedAt, now).TotalMilliseconds);
                _pending = null;
                _windowEnd = now + (long)(Window.TotalSeconds * Stopwatch.Frequency);
            }

            bool during = _pending is not null || now < _windowEnd;
            (during ? _during : _steady).Add(latencyMs);
        }
    }

    public object Summary() => new
    {
        promotions = _swaps,
        failed_promotions = _failures,
        steady_p50_ms = Round(_steady.Percentile(50)),
        steady_p99_ms = Round(_steady.Percentile(99)),
        during_swap_p50_ms = Round(_during.Percentile(50)),
        during_swap_p99_ms = Round(_during.Percentile(99)),
        promote_to_first_result_ms = new { p50 = Round(_toFirst.Percentile(50)), max = Round(_toFirst.Percentile(100)) },
    };

    private static double Round(double v) => double.IsNaN(v) ? 0 : Math.Round(v, 1);
}
