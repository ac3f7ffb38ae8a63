namespace InferenceServer.Core.Imaging;

/// <summary>Why an image was rejected.</summary>
public enum ImageErrorKind
{
    /// <summary>No bytes at all.</summary>
    Empty,

    /// <summary>Not a JPEG, PNG, BMP or WebP stream.</summary>
    UnsupportedFormat,

    /// <summary>The header or the data is damaged or cut short.</summary>
    Corrupt,

    /// <summary>The declared size exceeds the configured pixel limit.</summary>
    TooLarge,

    /// <summary>A raw pixel buffer whose size, stride or dimensions do not agree.</summary>
    InvalidRawBuffer,
}
