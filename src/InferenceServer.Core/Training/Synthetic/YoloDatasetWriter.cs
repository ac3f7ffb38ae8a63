using System.Globalization;
using System.Text;

namespace InferenceServer.Core.Training.Synthetic;

/// <summary>Writes generated frames as a standard YOLO dataset: images/, labels/*.txt (class cx cy w h, normalised), data.yaml.</summary>
internal static class YoloDatasetWriter
{
    /// <returns>Number of labelled objects written.</returns>
    public static int Write(SceneGenerator generator, string directory, int count, int firstIndex = 0, int parallelism = 2, Action<int>? progress = null)
    {
        string images = Path.Combine(directory, "images");
        string labels = Path.Combine(directory, "labels");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(labels);
        var o = generator.Options;
        int objects = 0;
        int done = 0;
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism) }, i =>
        {
            int index = firstIndex + i;
            var (jpeg, scene) = generator.GenerateJpeg(index);
            string stem = index.ToString("D6", CultureInfo.InvariantCulture);
            File.WriteAllBytes(Path.Combine(images, stem + ".jpg"), jpeg);
            File.WriteAllText(Path.Combine(labels, stem + ".txt"), LabelLines(scene, o.Width, o.Height));
            Interlocked.Add(ref objects, scene.Count);
            int n = Interlocked.Increment(ref done);
            progress?.Invoke(n);
        });

        File.WriteAllText(Path.Combine(directory, "data.yaml"), DataYaml(o.Categories));
        return objects;
    }

    public static string LabelLines(IEnumerable<SceneObject> objects, int width, int height)
    {
        var sb = new StringBuilder();
        foreach (var d in objects)
        {
            double cx = (d.X1 + d.X2) / 2.0 / width;
            double cy = (d.Y1 + d.Y2) / 2.0 / height;
            double w = (d.X2 - d.X1) / (double)width;
            double h = (d.Y2 - d.Y1) / (double)height;
            sb.Append(CultureInfo.InvariantCulture, $"{d.ClassId} {cx:F6} {cy:F6} {w:F6} {h:F6}\n");
        }

        return sb.ToString();
    }

    public static string DataYaml(IReadOnlyList<string> names)
    {
        var sb = new StringBuilder();
        sb.Append("path: .\ntrain: images\nval: images\n");
        sb.Append(CultureInfo.InvariantCulture, $"nc: {names.Count}\n");
        sb.Append("names:\n");
        for (int i = 0; i < names.Count; i++)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {i}: {names[i]}\n");
        }

        return sb.ToString();
    }
}
