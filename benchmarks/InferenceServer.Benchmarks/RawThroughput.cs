using System.Text.Json;
using InferenceServer.Core.Inference;

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
        var baseSettings = new SessionSettings { Provider = ExecutionProvider.Cpu };
        foreach (var (instances, threads, batch) in grid)
        {
            var point = AutoTuner.Measure(path, null, baseSettings.With(instances, threads, batch), "raw", seconds);
            if (point is null)
            {
                continue;
            }

            var row = new Row(instances, threads, batch, point.FramesPerSecond, point.BatchP50Ms);
            rows.Add(row);
            Console.WriteLine($"instances {instances} threads {threads} batch {batch}: {row.FramesPerSecond,7:F1} frames/s, p50 {row.P50Ms:F2} ms per batch");
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
