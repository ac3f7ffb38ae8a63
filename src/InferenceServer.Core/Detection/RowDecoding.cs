namespace InferenceServer.Core.Detection;

/// <summary>Shared pieces of the row-major ([N, 5+nc]) decoders.</summary>
internal static class RowDecoding
{
    /// <summary>Best allowed class of one row's class scores, or -1 when none is allowed.</summary>
    public static int BestClass(ReadOnlySpan<float> classScores, in DecodeContext context, out float best)
    {
        best = float.NegativeInfinity;
        int bestClass = -1;
        for (int c = 0; c < classScores.Length; c++)
        {
            if (classScores[c] > best && context.Allows(c))
            {
                best = classScores[c];
                bestClass = c;
            }
        }

        return bestClass;
    }

    /// <summary>Rows already decoded to cx,cy,w,h in input pixels, then objectness and class scores (YOLOv5, decoded YOLOX).</summary>
    public static void DecodeRows(ReadOnlySpan<float> output, in DecodeContext context, List<Detection> candidates)
    {
        int width = context.Columns;
        for (int i = 0; i < context.Rows; i++)
        {
            var row = output.Slice(i * width, width);
            AddObjectnessRow(row, row[0], row[1], row[2], row[3], context, candidates);
        }
    }

    /// <summary>Objectness × best class score, added when it passes the threshold.</summary>
    public static void AddObjectnessRow(
        ReadOnlySpan<float> row, float cx, float cy, float w, float h, in DecodeContext context, List<Detection> candidates)
    {
        float objectness = row[4];
        if (objectness < context.ConfidenceThreshold)
        {
            return; // score = obj × cls <= obj, so it cannot pass.
        }

        int cls = BestClass(row.Slice(5, context.ClassCount), context, out float best);
        float score = objectness * best;
        if (cls < 0 || score < context.ConfidenceThreshold)
        {
            return;
        }

        candidates.Add(new Detection(cx - (w * 0.5f), cy - (h * 0.5f), cx + (w * 0.5f), cy + (h * 0.5f), score, cls));
    }
}
