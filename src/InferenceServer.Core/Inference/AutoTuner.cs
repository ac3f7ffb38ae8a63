using System.Diagnostics;
using InferenceServer.Core.Registry;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Inference;

/// <summary>
/// Measures raw throughput for a short grid of (instances × intra-op threads × max batch) — each instance running
/// full batches on its own thread, as the batcher does under load — and picks the highest throughput whose median
/// batch latency stays within the bound (see <see cref="Choose"/> for models slower than the bound).
/// </summary>
internal static class AutoTuner
{
    public static TuningResult Tune(string onnxPath, ModelManifest? manifest, SessionSettings settings, string name, ILogger logger)
    {
        int cores = Environment.ProcessorCount;
        var grid = new List<TuningPoint>();
        foreach (int instances in new[] { 1, 2 }.Where(i => i <= Math.Max(2, cores)))
        {
            foreach (int threads in new[] { 1, 2, 4 }.Where(t => t * instances <= Math.Max(2, cores)))
            {
                foreach (int batch in new[] { 1, 4, 8 })
                {
                    var point = Measure(onnxPath, manifest, settings.With(instances, threads, batch), name, settings.AutoTuneSecondsPerConfig);
                    if (point is not null)
                    {
                        grid.Add(point);
                    }
                }
            }
        }

        if (grid.Count == 0)
        {
            throw new ModelLoadException($"Model '{name}': auto-tuning measured no configuration.");
        }

        var best = grid.MaxBy(p => p.FramesPerSecond)!;
        return new TuningResult(Choose(grid, settings.AutoTuneLatencyBoundMs), best, grid, settings.AutoTuneLatencyBoundMs);
    }

    /// <summary>
    /// The highest throughput within the latency bound. When no configuration meets the bound (a model slower than
    /// the bound on this machine), the bound cannot be honoured anyway: the highest throughput within 1.5× the
    /// lowest latency measured, instead of trading a third of the throughput for a bound that is missed regardless.
    /// </summary>
    internal static TuningPoint Choose(IReadOnlyList<TuningPoint> grid, double latencyBoundMs)
    {
        double fastest = grid.Min(p => p.BatchP50Ms);
        double bound = fastest <= latencyBoundMs ? latencyBoundMs : 1.5 * fastest;
        return grid.Where(p => p.BatchP50Ms <= bound).MaxBy(p => p.FramesPerSecond)!;
    }

    /// <summary>Throughput and median batch latency of one configuration; null when it does not apply (a fixed-batch model at another batch).</summary>
    internal static TuningPoint? Measure(string path, ModelManifest? manifest, SessionSettings settings, string name, double seconds)
    {
        using var model = ModelLoader.Load(path, manifest, settings, name, "tuning", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        int batch = model.Instances.MaxBatch;
        if (!model.Signature.DynamicBatch && settings.MaxBatchSize != batch)
        {
            return null; // A fixed-batch model has only its own batch size; measure it once.
        }

        var instances = Enumerable.Range(0, model.Instances.Count)
            .Select(_ => model.Instances.RentAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult())
            .ToArray();
        try
        {
            long frames = 0;
            var latencies = new List<double>();
            var sw = Stopwatch.StartNew();
            var workers = instances.Select(instance => Task.Factory.StartNew(
                () =>
                {
                    var local = new List<double>();
                    // At least three batches per instance: slow models get a median, not one sample.
                    while (sw.Elapsed.TotalSeconds < seconds || local.Count < 3)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        instance.Run(batch);
                        local.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                        Interlocked.Add(ref frames, batch);
                    }

                    lock (latencies)
                    {
                        latencies.AddRange(local);
                    }
                },
                TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(workers);
            latencies.Sort();
            return new TuningPoint(settings.Instances, settings.IntraOpThreads, batch, Math.Round(frames / sw.Elapsed.TotalSeconds, 1), Math.Round(latencies[latencies.Count / 2], 2));
        }
        finally
        {
            foreach (var instance in instances)
            {
                model.Instances.Return(instance);
            }
        }
    }
}
