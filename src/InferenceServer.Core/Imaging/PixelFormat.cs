namespace InferenceServer.Core.Imaging;

/// <summary>Layouts accepted for raw (not encoded) frames.</summary>
public enum PixelFormat
{
    /// <summary>8-bit blue, green, red per pixel.</summary>
    Bgr24,

    /// <summary>8-bit red, green, blue per pixel.</summary>
    Rgb24,

    /// <summary>8-bit luminance.</summary>
    Gray8,

    /// <summary>Y plane followed by interleaved UV plane at half resolution (both with the same stride).</summary>
    Nv12,

    /// <summary>Planar Y, then U and V at half resolution (what FFmpeg's yuv420p writes; the stride is the width).</summary>
    I420,
}
