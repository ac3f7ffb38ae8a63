using System.Buffers;

namespace InferenceServer.Core.Detection;

/// <summary>[4+nc, N] channel-first output; class scores are already sigmoid probabilities.</summary>
internal sealed class YoloV8Decoder : IOutputDecoder
{
    public DecoderKind Kind => DecoderKind.YoloV8;

    public bool NeedsNms => true;

    public void Decode(ReadOnlySpan<float> output, in DecodeContext context, List<Detection> candidates)
    {
        int n = context.Columns;
        int nc = context.Rows - 4;
        float conf = context.ConfidenceThreshold;

        // Row-wise max over classes keeps memory access sequential (the layout is class-major).
        float[] bestScore = ArrayPool<float>.Shared.Rent(n);
        int[] bestClass = ArrayPool<int>.Shared.Rent(n);
        try
        {
            var scores = bestScore.AsSpan(0, n);
            var classes = bestClass.AsSpan(0, n);
            scores.Fill(float.NegativeInfinity);
            classes.Fill(-1);
            for (int c = 0; c < nc; c++)
            {
                if (!context.Allows(c))
                {
                    continue;
                }

                var row = output.Slice((4 + c) * n, n);
                for (int i = 0; i < n; i++)
                {
                    if (row[i] > scores[i])
                    {
                        scores[i] = row[i];
                        classes[i] = c;
                    }
                }
            }

            var cx = output[..n];
            var cy = output.Slice(n, n);
            var w = output.Slice(2 * n, n);
            var h = output.Slice(3 * n, n);
            for (int i = 0; i < n; i++)
            {
                if (scores[i] < conf || classes[i] < 0)
                {
                    continue;
                }

                float hw = w[i] * 0.5f;
                float hh = h[i] * 0.5f;
                candidates.Add(new Detection(cx[i] - hw, cy[i] - hh, cx[i] + hw, cy[i] + hh, scores[i], classes[i]));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(bestScore);
            ArrayPool<int>.Shared.Return(bestClass);
        }
    }
}
