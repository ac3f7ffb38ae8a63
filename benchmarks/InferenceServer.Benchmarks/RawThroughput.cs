using System.Diagnostics;
using System.Text.Json;
using InferenceServer.Core.Inference;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceServer.Benchmarks;

/// <summary>
/// Raw ONNX Runtime throughput of a model on already-packed tensors (no decode, no letterbox), for a small grid of
/// intra-op threads × batch size: <c>InferenceServer.Benchmarks raw-throughput MODEL.onnx [--seconds 5] [--json FILE]</c>.
/// </summary>
internal static class RawThroughput
{
    public static int Run(string[] args)
    {
        string path = args[0];
        double seconds = 5;
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

        var rows = new List<object>();
        double best = 0;
        object? bestConfig = null;
        foreach (int threads in new[] { 1, 2 })
        {
            foreach (int batch in new[] { 1, 4, 8 })
            {
                var settings = new SessionSettings { Provider = ExecutionProvider.Cpu, IntraOpThreads = threads, MaxBatchSize = batch };
                using var model = ModelLoader.Load(path, null, settings, "raw", "1", NullLogger.Instance);
                if (!model.Signature.DynamicBatch && batch > 1)
                {
                    continue;
                }

                var instance = model.Instances.RentAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
                for (int i = 0; i < batch; i++)
                {
                    instance.InputSlot(i).Fill(0.45f);
                }

                for (int i = 0; i < 5; i++)
                {
                    instance.Run(batch);
                }

                var sw = Stopwatch.StartNew();
                int runs = 0;
                while (sw.Elapsed.TotalSeconds < seconds)
                {
                    instance.Run(batch);
                    runs++;
                }

                double fps = runs * batch / sw.Elapsed.TotalSeconds;
                double ms = sw.Elapsed.TotalMilliseconds / runs;
                model.Instances.Return(instance);
                Console.WriteLine($"threads {threads} batch {batch}: {ms:F2} ms/batch, {fps:F0} frames/s");
                var row = new { threads, batch, ms_per_batch = Math.Round(ms, 3), frames_per_second = Math.Round(fps, 1) };
                rows.Add(row);
                if (fps > best)
                {
                    best = fps;
                    bestConfig = row;
                }
            }
        }

        Console.WriteLine($"best: {JsonSerializer.Serialize(bestConfig)}");
        if (json is not null)
        {
            var report = new
            {
                measured = DateTime.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                machine = $"{Environment.ProcessorCount} CPU cores, ONNX Runtime CPU",
                best = bestConfig,
                grid = rows,
            };
            File.WriteAllText(json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        }

        return 0;
    }
}
