namespace InferenceServer.Core.Detection;

/// <summary>[N, 5+nc]: cx,cy,w,h in input pixels, objectness, class scores.</summary>
internal sealed class YoloV5Decoder : IOutputDecoder
{
    public DecoderKind Kind => DecoderKind.YoloV5;

    public bool NeedsNms => true;

    public void Decode(ReadOnlySpan<float> output, in DecodeContext context, List<Detection> candidates)
    {
        int width = context.Columns;
        for (int i = 0; i < context.Rows; i++)
        {
            var row = output.Slice(i * width, width);
            RowDecoding.AddObjectnessRow(row, row[0], row[1], row[2], row[3], context, candidates);
        }
    }
}
