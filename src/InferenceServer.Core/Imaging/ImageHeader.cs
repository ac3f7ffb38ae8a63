namespace InferenceServer.Core.Imaging;

/// <summary>What an encoded image declares about itself, read without decoding pixels.</summary>
/// <param name="IsComplete">False when the stream visibly ends early (no end marker).</param>
internal readonly record struct ImageHeader(ImageFormat Format, int Width, int Height, bool IsComplete)
{
    public long Pixels => (long)Width * Height;
}
