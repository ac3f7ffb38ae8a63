using System.Diagnostics;
using System.Text.Json;
using InferenceServer.Core.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceServer.Benchmarks;

/// <summary>
/// Baseline (a), the limit: raw ONNX Runtime throughput on already-packed tensors (no decode, no letterbox, no
/// gRPC), over a grid of instances × intra-op threads × batch size:
/// <c>InferenceServer.Benchmarks raw-throughput MODEL.onnx [--seconds 4] [--json FILE]</c>.
/// </summary>
internal static class RawThroughput
{
    public static int Run(string[] args)
    {
        string path = args[0];
        double seconds = 4;
        string? json = null;
        for (int i = 1; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--json": json = args[++i]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        var grid = new List<(int Instances, int Threads, int Batch)>();
        foreach (int batch in new[] { 1, 4, 8 })
        {
            grid.Add((1, 1, batch));
            grid.Add((1, 2, batch));
            grid.Add((2, 1, batch));
        }

        var rows = new List<Row>();
        foreach (var (instances, threads, batch) in grid)
        {
            var settings = new SessionSettings { Provider = ExecutionProvider.Cpu, IntraOpThreads = threads, MaxBatchSize = batch, Instances = instances };
            using var model = ModelLoader.Load(path, null, settings, "raw", "1", NullLogger.Instance);
            if (!model.Signature.DynamicBatch && batch > 1)
            {
                continue;
            }

            var rented = Enumerable.Range(0, instances).Select(_ => model.Instances.RentAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult()).ToArray();
            foreach (var instance in rented)
            {
                for (int i = 0; i < batch; i++)
                {
                    instance.InputSlot(i).Fill(0.45f);
                }

                instance.Run(batch);
            }

            long frames = 0;
            var latencies = new List<double>();
            var sw = Stopwatch.StartNew();
            var workers = rented.Select(instance => Task.Factory.StartNew(() =>
            {
                var local = new List<double>();
                while (sw.Elapsed.TotalSeconds < seconds)
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
            }, TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(workers);
            foreach (var instance in rented)
            {
                model.Instances.Return(instance);
            }

            double fps = frames / sw.Elapsed.TotalSeconds;
            latencies.Sort();
            double p50 = latencies[latencies.Count / 2];
            var row = new Row(instances, threads, batch, Math.Round(fps, 1), Math.Round(p50, 2));
            rows.Add(row);
            Console.WriteLine($"instances {instances} threads {threads} batch {batch}: {fps,7:F1} frames/s, p50 {p50:F2} ms per batch");
        }

        var best = rows.MaxBy(r => r.FramesPerSecond)!;
        var single = rows.Where(r => r.Batch == 1 && r.Instances == 1).MinBy(r => r.P50Ms)!;
        Console.WriteLine($"best: {JsonSerializer.Serialize(best)}; fastest single frame: {single.P50Ms} ms");
        if (json is not null)
        {
            File.WriteAllText(json, JsonSerializer.Serialize(new { model = path, best, single_frame_p50_ms = single.P50Ms, grid = rows }, new JsonSerializerOptions { WriteIndented = true }));
        }

        return 0;
    }

    internal sealed record Row(int Instances, int Threads, int Batch, double FramesPerSecond, double P50Ms);
}
