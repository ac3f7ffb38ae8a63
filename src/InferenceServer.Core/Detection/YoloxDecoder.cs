namespace InferenceServer.Core.Detection;

/// <summary>
/// YOLOX head output [N, 5+nc]. Raw: x,y are offsets within the grid cell and w,h log-scale, for strides
/// 8, 16 and 32 in that order (row-major cells); decoded: boxes already in input pixels.
/// </summary>
internal sealed class YoloxDecoder : IOutputDecoder
{
    private static readonly int[] Strides = [8, 16, 32];

    private readonly bool _raw;

    public YoloxDecoder(bool raw)
    {
        _raw = raw;
    }

    public DecoderKind Kind => _raw ? DecoderKind.Yolox : DecoderKind.YoloxDecoded;

    public bool NeedsNms => true;

    /// <summary>Number of grid cells the raw head produces for an input size.</summary>
    public static int GridCells(int inputWidth, int inputHeight)
    {
        int total = 0;
        foreach (int s in Strides)
        {
            total += (inputWidth / s) * (inputHeight / s);
        }

        return total;
    }

    public void Decode(ReadOnlySpan<float> output, in DecodeContext context, List<Detection> candidates)
    {
        if (!_raw)
        {
            RowDecoding.DecodeRows(output, context, candidates);
            return;
        }

        if (GridCells(context.InputWidth, context.InputHeight) != context.Rows)
        {
            throw new InvalidOperationException(
                $"YOLOX output has {context.Rows} rows but a {context.InputWidth}x{context.InputHeight} input gives " +
                $"{GridCells(context.InputWidth, context.InputHeight)} grid cells for strides 8/16/32.");
        }

        int width = context.Columns;
        int index = 0;
        foreach (int stride in Strides)
        {
            int gw = context.InputWidth / stride;
            int gh = context.InputHeight / stride;
            for (int gy = 0; gy < gh; gy++)
            {
                for (int gx = 0; gx < gw; gx++, index++)
                {
                    var row = output.Slice(index * width, width);
                    if (row[4] < context.ConfidenceThreshold)
                    {
                        continue;
                    }

                    float cx = (row[0] + gx) * stride;
                    float cy = (row[1] + gy) * stride;
                    float w = MathF.Exp(row[2]) * stride;
                    float h = MathF.Exp(row[3]) * stride;
                    RowDecoding.AddObjectnessRow(row, cx, cy, w, h, context, candidates);
                }
            }
        }
    }
}
