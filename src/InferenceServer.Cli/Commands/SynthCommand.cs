using System.Diagnostics;
using InferenceServer.Core.Training.Synthetic;

namespace InferenceServer.Cli.Commands;

/// <summary>
/// <c>infer synth dataset --out DIR --count N [--seed S] [--width W] [--height H] [--categories a,b] [--first I]</c><br/>
/// <c>infer synth video --out FILE.mp4 [--frames N] [--fps F] [--objects K] [--seed S] [--width W] [--height H] [--categories a,b]</c>
/// </summary>
internal static class SynthCommand
{
    public static int Run(string[] args)
    {
        var r = new ArgReader(args);
        if (r.Positional.Count != 1 || r.Positional[0] is not ("dataset" or "video"))
        {
            throw new UsageException("synth needs 'dataset' or 'video'");
        }

        var categories = (r.String("--categories") ?? string.Join(',', ShapeCatalog.DefaultCategories))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var options = new SceneOptions
        {
            Width = r.Int("--width", 1280),
            Height = r.Int("--height", 720),
            Categories = categories,
            MinObjects = r.Int("--min-objects", 1),
            MaxObjects = r.Int("--max-objects", 8),
            MinSize = r.Int("--min-size", 12),
        };
        if (options.Validate() is string error)
        {
            throw new UsageException(error);
        }

        int seed = r.Int("--seed", 1);
        string output = r.Required("--out");
        var sw = Stopwatch.StartNew();
        if (r.Positional[0] == "dataset")
        {
            int count = r.Int("--count", 100);
            int first = r.Int("--first", 0);
            r.RejectUnknown();
            var generator = new SceneGenerator(options, seed);
            int objects = YoloDatasetWriter.Write(generator, output, count, first, Environment.ProcessorCount, n =>
            {
                if (n % 100 == 0 || n == count)
                {
                    Console.Error.Write($"\r{n}/{count} frames");
                }
            });
            Console.Error.WriteLine();
            Console.WriteLine($"wrote {count} frames ({objects} objects, {string.Join(",", categories)}) to {output} in {sw.Elapsed.TotalSeconds:F1} s (seed {seed})");
        }
        else
        {
            int frames = r.Int("--frames", 300);
            double fps = r.Double("--fps", 30);
            int objects = r.Int("--objects", 6);
            r.RejectUnknown();
            string truth = SyntheticVideoWriter.Write(output, options, frames, fps, seed, objects);
            Console.WriteLine($"wrote {output} ({frames} frames at {fps} fps, {objects} objects) and {truth} in {sw.Elapsed.TotalSeconds:F1} s (seed {seed})");
        }

        return 0;
    }
}
