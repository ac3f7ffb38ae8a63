namespace InferenceServer.Core.Detection;

/// <summary>[Q, 4+nc]: cx,cy,w,h normalised to 0..1, class probabilities; one box per query, no NMS.</summary>
internal sealed class RtDetrDecoder : IOutputDecoder
{
    public DecoderKind Kind => DecoderKind.RtDetr;

    public bool NeedsNms => false;

    public void Decode(ReadOnlySpan<float> output, in DecodeContext context, List<Detection> candidates)
    {
        int width = context.Columns;
        float iw = context.InputWidth;
        float ih = context.InputHeight;
        for (int i = 0; i < context.Rows; i++)
        {
            var row = output.Slice(i * width, width);
            int cls = RowDecoding.BestClass(row.Slice(4, context.ClassCount), context, out float score);
            if (cls < 0 || score < context.ConfidenceThreshold)
            {
                continue;
            }

            float cx = row[0] * iw;
            float cy = row[1] * ih;
            float hw = row[2] * iw * 0.5f;
            float hh = row[3] * ih * 0.5f;
            candidates.Add(new Detection(cx - hw, cy - hh, cx + hw, cy + hh, score, cls));
        }
    }
}
