using System.Diagnostics;
using System.Text.Json;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Registry;
using InferenceServer.Core.Training;
using InferenceServer.Core.Training.Synthetic;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceServer.Cli.Commands;

/// <summary>
/// <c>infer eval --model DIR_OR_ONNX [--count 500] [--seed 9999] [--width 1280] [--height 720] [--categories a,b] [--min-size PX] [--max-objects N] [--json FILE]</c>:
/// AP@0.5 and AP@[.5:.95] on freshly generated held-out frames, through the server's decode path.
/// </summary>
internal static class EvalCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var r = new ArgReader(args);
        string modelArg = r.Required("--model");
        int count = r.Int("--count", 500);
        int seed = r.Int("--seed", 9999);
        string? jsonPath = r.String("--json");
        string? categoriesArg = r.String("--categories");
        int width = r.Int("--width", 1280);
        int height = r.Int("--height", 720);
        int threads = r.Int("--threads", 0);
        int minSize = r.Int("--min-size", 12);
        int maxObjects = r.Int("--max-objects", 8);
        r.RejectUnknown();

        string onnx = Directory.Exists(modelArg) ? Path.Combine(modelArg, "model.onnx") : modelArg;
        string dir = Path.GetDirectoryName(Path.GetFullPath(onnx))!;
        var manifest = ModelManifest.LoadOptional(dir);
        var settings = new SessionSettings { Provider = ExecutionProvider.Cpu, IntraOpThreads = threads, MaxBatchSize = 1 };
        using var model = ModelLoader.Load(onnx, manifest, settings, Path.GetFileName(dir), "eval", NullLogger.Instance);
        var categories = categoriesArg?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            ?? model.Labels.Where(ShapeCatalog.IsKnown).ToArray();
        var generator = new SceneGenerator(new SceneOptions { Width = width, Height = height, Categories = categories, MinSize = minSize, MaxObjects = maxObjects }, seed);

        var sw = Stopwatch.StartNew();
        var result = await SyntheticEvaluation.RunAsync(model, generator, count, 0, SyntheticEvaluation.ApThresholds(model), CancellationToken.None);
        Console.WriteLine($"{count} frames {width}x{height}, seed {seed}, {sw.Elapsed.TotalSeconds:F1} s");
        Console.WriteLine($"{"class",-10} {"gt",6} {"AP50",7} {"AP50-95",8}");
        foreach (var c in result.PerClass)
        {
            Console.WriteLine($"{model.Label(c.ClassId),-10} {c.GroundTruthCount,6} {c.Ap50,7:F3} {c.Ap50To95,8:F3}");
        }

        Console.WriteLine($"{"mean",-10} {"",6} {result.MeanAp50,7:F3} {result.MeanAp50To95,8:F3}");
        if (jsonPath is not null)
        {
            var json = new
            {
                frames = count,
                width,
                height,
                seed,
                ap50 = Math.Round(result.MeanAp50, 4),
                ap50_95 = Math.Round(result.MeanAp50To95, 4),
                per_class = result.PerClass.ToDictionary(c => model.Label(c.ClassId), c => new { gt = c.GroundTruthCount, ap50 = Math.Round(c.Ap50, 4), ap50_95 = Math.Round(c.Ap50To95, 4) }),
            };
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(json, new JsonSerializerOptions { WriteIndented = true }));
        }

        return 0;
    }
}
