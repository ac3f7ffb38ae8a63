using OpenCvSharp;

namespace InferenceServer.Core.Imaging;

/// <summary>Letterboxes a BGR frame and writes it as one NCHW float image into a caller-owned span.</summary>
internal static class TensorPacker
{
    public static unsafe LetterboxTransform Pack(
        Mat bgr, PreprocessSpec spec, int dstWidth, int dstHeight, Span<float> destination, PreprocessScratch scratch)
    {
        if (bgr.Type() != MatType.CV_8UC3)
        {
            throw new ArgumentException($"Expected an 8-bit BGR image, got {bgr.Type()}.", nameof(bgr));
        }

        int plane = dstWidth * dstHeight;
        if (destination.Length < plane * 3)
        {
            throw new ArgumentException($"Destination holds {destination.Length} floats, needs {plane * 3}.", nameof(destination));
        }

        var t = LetterboxTransform.Create(spec.Resize, bgr.Width, bgr.Height, dstWidth, dstHeight);
        Mat resized = bgr;
        if (t.ResizedWidth != bgr.Width || t.ResizedHeight != bgr.Height)
        {
            Cv2.Resize(bgr, scratch.Resized, new Size(t.ResizedWidth, t.ResizedHeight), 0, 0, InterpolationFlags.Linear);
            resized = scratch.Resized;
        }

        float scale = spec.Scale;
        float pad = spec.PadValue * scale;
        int ox = t.OffsetX;
        int oy = t.OffsetY;
        int rw = t.ResizedWidth;
        int rh = t.ResizedHeight;

        // BGR source: channel 0 is blue. For RGB output, plane 0 takes source channel 2.
        int c0 = spec.Channels == ChannelOrder.Rgb ? 2 : 0;
        int c2 = 2 - c0;

        fixed (float* dst = destination)
        {
            float* p0 = dst;
            float* p1 = dst + plane;
            float* p2 = dst + (2 * plane);
            long step = resized.Step();
            byte* src = (byte*)resized.Data;
            for (int y = 0; y < dstHeight; y++)
            {
                int rowStart = y * dstWidth;
                int sy = y - oy;
                if (sy < 0 || sy >= rh)
                {
                    new Span<float>(p0 + rowStart, dstWidth).Fill(pad);
                    new Span<float>(p1 + rowStart, dstWidth).Fill(pad);
                    new Span<float>(p2 + rowStart, dstWidth).Fill(pad);
                    continue;
                }

                if (ox > 0)
                {
                    new Span<float>(p0 + rowStart, ox).Fill(pad);
                    new Span<float>(p1 + rowStart, ox).Fill(pad);
                    new Span<float>(p2 + rowStart, ox).Fill(pad);
                }

                int right = dstWidth - ox - rw;
                if (right > 0)
                {
                    int start = rowStart + ox + rw;
                    new Span<float>(p0 + start, right).Fill(pad);
                    new Span<float>(p1 + start, right).Fill(pad);
                    new Span<float>(p2 + start, right).Fill(pad);
                }

                byte* s = src + (sy * step);
                float* d0 = p0 + rowStart + ox;
                float* d1 = p1 + rowStart + ox;
                float* d2 = p2 + rowStart + ox;
                for (int x = 0; x < rw; x++)
                {
                    byte* px = s + (x * 3);
                    d0[x] = px[c0] * scale;
                    d1[x] = px[1] * scale;
                    d2[x] = px[c2] * scale;
                }
            }
        }

        return t;
    }
}
