namespace InferenceServer.Core.Imaging;

/// <summary>
/// The geometric relation between an original frame and the model input it was packed into:
/// <c>input = original * scale + pad</c>, per axis.
/// </summary>
internal readonly record struct LetterboxTransform(
    float ScaleX, float ScaleY, float PadX, float PadY, int SourceWidth, int SourceHeight,
    int ResizedWidth, int ResizedHeight, int OffsetX, int OffsetY)
{
    public static LetterboxTransform Create(ResizeMode mode, int srcWidth, int srcHeight, int dstWidth, int dstHeight)
    {
        if (mode == ResizeMode.Stretch)
        {
            return new LetterboxTransform(
                (float)dstWidth / srcWidth, (float)dstHeight / srcHeight, 0, 0, srcWidth, srcHeight, dstWidth, dstHeight, 0, 0);
        }

        double r = Math.Min((double)dstHeight / srcHeight, (double)dstWidth / srcWidth);
        if (mode == ResizeMode.LetterboxTopLeft)
        {
            // YOLOX truncates the resized size: int(w * r).
            int w = Math.Max(1, (int)(srcWidth * r));
            int h = Math.Max(1, (int)(srcHeight * r));
            return new LetterboxTransform((float)r, (float)r, 0, 0, srcWidth, srcHeight, w, h, 0, 0);
        }

        // Ultralytics LetterBox: round half to even (Python's round), padding split with a -0.1/+0.1 bias.
        int newW = Math.Max(1, (int)Math.Round(srcWidth * r, MidpointRounding.ToEven));
        int newH = Math.Max(1, (int)Math.Round(srcHeight * r, MidpointRounding.ToEven));
        double dw = (dstWidth - newW) / 2.0;
        double dh = (dstHeight - newH) / 2.0;
        int left = (int)Math.Round(dw - 0.1, MidpointRounding.ToEven);
        int top = (int)Math.Round(dh - 0.1, MidpointRounding.ToEven);

        // Ultralytics' scale_boxes maps back with the gain and the same rounded padding.
        return new LetterboxTransform((float)r, (float)r, left, top, srcWidth, srcHeight, newW, newH, left, top);
    }

    /// <summary>
    /// The same packing seen from a larger original that was decoded at reduced scale (to SourceWidth×SourceHeight):
    /// boxes map back to the original's pixels.
    /// </summary>
    public LetterboxTransform RelativeTo(int originalWidth, int originalHeight) =>
        originalWidth == SourceWidth && originalHeight == SourceHeight
            ? this
            : this with
            {
                ScaleX = ScaleX * SourceWidth / originalWidth,
                ScaleY = ScaleY * SourceHeight / originalHeight,
                SourceWidth = originalWidth,
                SourceHeight = originalHeight,
            };

    /// <summary>Maps a box from model-input pixels back to original pixels, clipped to the frame.</summary>
    public (float X1, float Y1, float X2, float Y2) MapBack(float x1, float y1, float x2, float y2) =>
        (Clip((x1 - PadX) / ScaleX, SourceWidth),
         Clip((y1 - PadY) / ScaleY, SourceHeight),
         Clip((x2 - PadX) / ScaleX, SourceWidth),
         Clip((y2 - PadY) / ScaleY, SourceHeight));

    /// <summary>Maps a box from original pixels into model-input pixels.</summary>
    public (float X1, float Y1, float X2, float Y2) MapForward(float x1, float y1, float x2, float y2) =>
        ((x1 * ScaleX) + PadX, (y1 * ScaleY) + PadY, (x2 * ScaleX) + PadX, (y2 * ScaleY) + PadY);

    private static float Clip(float v, int max) => Math.Clamp(v, 0f, max);
}
