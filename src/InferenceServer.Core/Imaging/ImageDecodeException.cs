namespace InferenceServer.Core.Imaging;

/// <summary>An image could not be turned into pixels; <see cref="Kind"/> says why.</summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(ImageErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    public ImageDecodeException()
        : this(ImageErrorKind.Corrupt, "The image could not be decoded.")
    {
    }

    public ImageDecodeException(string message)
        : this(ImageErrorKind.Corrupt, message)
    {
    }

    public ImageDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
        Kind = ImageErrorKind.Corrupt;
    }

    /// <summary>The category of the failure.</summary>
    public ImageErrorKind Kind { get; }
}
