namespace InferenceServer.Core.Detection;

/// <summary>[K, 6] = x1,y1,x2,y2,score,class in input pixels; the graph already did NMS.</summary>
internal sealed class End2EndDecoder : IOutputDecoder
{
    public DecoderKind Kind => DecoderKind.End2End;

    public bool NeedsNms => false;

    public void Decode(ReadOnlySpan<float> output, in DecodeContext context, List<Detection> candidates)
    {
        int width = context.Columns;
        for (int i = 0; i < context.Rows; i++)
        {
            var row = output.Slice(i * width, width);
            float score = row[4];
            int cls = (int)MathF.Round(row[5]);
            if (score < context.ConfidenceThreshold || cls < 0 || !context.Allows(cls))
            {
                continue;
            }

            candidates.Add(new Detection(row[0], row[1], row[2], row[3], score, cls));
        }
    }
}
