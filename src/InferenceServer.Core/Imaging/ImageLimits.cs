namespace InferenceServer.Core.Imaging;

/// <summary>Bounds applied to every image before any pixel is decoded.</summary>
internal sealed class ImageLimits
{
    /// <summary>Default: 40 megapixels, larger than any camera frame we expect (8K is 33 MP).</summary>
    public const long DefaultMaxPixels = 40_000_000;

    public static ImageLimits Default { get; } = new();

    /// <summary>Images declaring more pixels than this are refused before decoding.</summary>
    public long MaxPixels { get; init; } = DefaultMaxPixels;
}
