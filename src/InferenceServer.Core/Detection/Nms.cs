using System.Runtime.InteropServices;

namespace InferenceServer.Core.Detection;

/// <summary>Greedy non-maximum suppression, class-aware unless asked to be agnostic.</summary>
internal static class Nms
{
    /// <summary>Upper bound on boxes entering NMS (as Ultralytics' max_nms), keeping worst cases bounded.</summary>
    public const int MaxCandidates = 30_000;

    private static readonly Comparison<Detection> ByScoreDescending = static (a, b) => b.Score.CompareTo(a.Score);

    /// <summary>Suppresses boxes overlapping a higher-scoring kept box by more than <paramref name="iouThreshold"/>.</summary>
    public static void Apply(List<Detection> candidates, float iouThreshold, int maxDetections, bool agnostic, List<Detection> kept)
    {
        var span = CollectionsMarshal.AsSpan(candidates);
        span.Sort(ByScoreDescending);
        if (span.Length > MaxCandidates)
        {
            span = span[..MaxCandidates];
        }

        int firstKept = kept.Count;
        foreach (ref readonly var box in span)
        {
            if (kept.Count - firstKept >= maxDetections)
            {
                break;
            }

            bool suppressed = false;
            for (int k = firstKept; k < kept.Count; k++)
            {
                var other = kept[k];
                if ((agnostic || other.ClassId == box.ClassId) && Detection.IoU(box, other) > iouThreshold)
                {
                    suppressed = true;
                    break;
                }
            }

            if (!suppressed)
            {
                kept.Add(box);
            }
        }
    }
}
