using InferenceServer.Core.Training.Synthetic;

namespace InferenceServer.Tests.Fixtures;

/// <summary>Distinct synthetic scenes written as JPEG files for a test camera, and matching results back to them.</summary>
internal static class FeedScenes
{
    /// <summary>Writes frame00000.jpg... (1280×720, 2-5 shapes each) and returns each frame's ground truth.</summary>
    public static IReadOnlyList<SceneObject>[] Write(string directory, int count, int seed)
    {
        var generator = new SceneGenerator(new SceneOptions { MinObjects = 2, MaxObjects = 5, MinSize = 40, MinJpegQuality = 80 }, seed);
        var truth = new IReadOnlyList<SceneObject>[count];
        for (int i = 0; i < count; i++)
        {
            var (jpeg, objects) = generator.GenerateJpeg(i);
            File.WriteAllBytes(Path.Combine(directory, $"frame{i:D5}.jpg"), jpeg);
            truth[i] = objects;
        }

        return truth;
    }

    /// <summary>The frame whose ground truth the detections fit best, and how well (F1 at IoU 0.5, same label).</summary>
    public static (int Frame, double F1) BestMatch(IEnumerable<Protos.Detection.V1.Detection> detections, IReadOnlyList<IReadOnlyList<SceneObject>> truth)
    {
        var boxes = detections.Select(d => (d.Label, X1: d.Box.X1, Y1: d.Box.Y1, X2: d.Box.X2, Y2: d.Box.Y2)).ToArray();
        int best = -1;
        double bestF1 = 0;
        for (int f = 0; f < truth.Count; f++)
        {
            double f1 = F1(boxes, truth[f].Select(o => (o.Label, o.X1, o.Y1, o.X2, o.Y2)).ToArray());
            if (f1 > bestF1)
            {
                bestF1 = f1;
                best = f;
            }
        }

        return (best, bestF1);
    }

    public static double F1((string Label, float X1, float Y1, float X2, float Y2)[] found, (string Label, float X1, float Y1, float X2, float Y2)[] truth)
    {
        if (found.Length + truth.Length == 0)
        {
            return 1;
        }

        var used = new bool[truth.Length];
        int matched = 0;
        foreach (var d in found)
        {
            for (int t = 0; t < truth.Length; t++)
            {
                if (!used[t] && truth[t].Label == d.Label && Iou(d, truth[t]) >= 0.5)
                {
                    used[t] = true;
                    matched++;
                    break;
                }
            }
        }

        return 2.0 * matched / (found.Length + truth.Length);
    }

    private static double Iou((string, float X1, float Y1, float X2, float Y2) a, (string, float X1, float Y1, float X2, float Y2) b)
    {
        double iw = Math.Max(0, Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1));
        double ih = Math.Max(0, Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1));
        double inter = iw * ih;
        double union = ((a.X2 - a.X1) * (a.Y2 - a.Y1)) + ((b.X2 - b.X1) * (b.Y2 - b.Y1)) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
