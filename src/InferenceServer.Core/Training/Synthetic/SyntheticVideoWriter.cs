using System.Globalization;
using System.Text;
using System.Text.Json;
using OpenCvSharp;

namespace InferenceServer.Core.Training.Synthetic;

/// <summary>
/// Writes an mp4 of shapes moving smoothly (constant velocity, bouncing off the edges, slowly rotating) over a
/// fixed background, plus per-frame ground truth as JSON lines: <c>{"frame": i, "objects": [{"id", "label", "class_id", "box"}]}</c>.
/// </summary>
internal static class SyntheticVideoWriter
{
    /// <returns>The path of the ground-truth file (the video path with extension .jsonl).</returns>
    public static string Write(string path, SceneOptions options, int frames, double fps, int seed, int objectCount)
    {
        if (frames < 1 || fps <= 0 || fps > 240)
        {
            throw new ArgumentException($"frames must be >= 1 and fps within (0, 240] (got {frames}, {fps}).");
        }

        var rng = new Random(SceneGenerator.Mix(seed, -1));
        int width = options.Width;
        int height = options.Height;
        using var background = SceneGenerator.RenderBackground(rng, width, height);
        var shapes = new List<(ShapeInstance Shape, int ClassId, Scalar Color, double Vx, double Vy, double Spin)>();
        double maxSize = height * options.MaxSizeFraction * 0.6;
        for (int i = 0; i < objectCount; i++)
        {
            int classId = rng.Next(options.Categories.Count);
            double size = options.MinSize * 2 + (rng.NextDouble() * (maxSize - (options.MinSize * 2)));
            var shape = ShapeInstance.Random(rng, options.Categories[classId], size, width, height);
            var color = SceneGenerator.PickColor(rng, background, shape.Box(width, height));
            double speed = (1 + (rng.NextDouble() * 5)) * 30 / fps; // 30..180 px/s
            double heading = rng.NextDouble() * 2 * Math.PI;
            shapes.Add((shape, classId, color, speed * Math.Cos(heading), speed * Math.Sin(heading), (rng.NextDouble() - 0.5) * 0.05));
        }

        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        using var writer = new VideoWriter(path, FourCC.FromString("mp4v"), fps, new Size(width, height));
        if (!writer.IsOpened())
        {
            throw new IOException($"Cannot open a video writer for '{path}' (mp4v).");
        }

        string truthPath = Path.ChangeExtension(path, ".jsonl");
        using var truth = new StreamWriter(truthPath, false, new UTF8Encoding(false));
        using var frame = new Mat();
        var drawRng = new Random(seed);
        for (int f = 0; f < frames; f++)
        {
            background.CopyTo(frame);
            var objects = new List<object>();
            for (int i = 0; i < shapes.Count; i++)
            {
                var (shape, classId, color, _, _, _) = shapes[i];
                shape.Draw(frame, color, new Random(i)); // Same look every frame.
                var box = shape.Box(width, height);
                objects.Add(new { id = i, label = shape.Label, class_id = classId, box = new[] { Round(box.X1), Round(box.Y1), Round(box.X2), Round(box.Y2) } });
            }

            // Mild per-frame sensor noise, deterministic per frame.
            SceneGenerator.ApplyNoiseOnly(drawRng, frame, SceneGenerator.Mix(seed, f));
            writer.Write(frame);
            truth.WriteLine(JsonSerializer.Serialize(new { frame = f, objects }));
            Step(shapes, width, height);
        }

        return truthPath;
    }

    private static float Round(float v) => MathF.Round(v, 2);

    private static void Step(List<(ShapeInstance Shape, int ClassId, Scalar Color, double Vx, double Vy, double Spin)> shapes, int width, int height)
    {
        for (int i = 0; i < shapes.Count; i++)
        {
            var s = shapes[i];
            double vx = s.Vx;
            double vy = s.Vy;
            s.Shape.CenterX += vx;
            s.Shape.CenterY += vy;
            s.Shape.Angle += s.Spin;
            double r = s.Shape.Radius;
            if (s.Shape.CenterX < r || s.Shape.CenterX > width - r)
            {
                vx = -vx;
                s.Shape.CenterX = Math.Clamp(s.Shape.CenterX, r, width - r);
            }

            if (s.Shape.CenterY < r || s.Shape.CenterY > height - r)
            {
                vy = -vy;
                s.Shape.CenterY = Math.Clamp(s.Shape.CenterY, r, height - r);
            }

            shapes[i] = s with { Vx = vx, Vy = vy };
        }
    }
}
