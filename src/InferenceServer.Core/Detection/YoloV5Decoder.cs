namespace InferenceServer.Core.Detection;

/// <summary>[N, 5+nc]: cx,cy,w,h in input pixels, objectness, class scores.</summary>
internal sealed class YoloV5Decoder : IOutputDecoder
{
    public DecoderKind Kind => DecoderKind.YoloV5;

    public bool NeedsNms => true;

    public void Decode(ReadOnlySpan<float> output, in DecodeContext context, List<Detection> candidates) =>
        RowDecoding.DecodeRows(output, context, candidates);
}
