namespace InferenceServer.Core.Feeds;

/// <summary>A source could not be opened or read; the message is shown as the feed's last error.</summary>
internal sealed class FeedSourceException : Exception
{
    public FeedSourceException(string message)
        : base(message)
    {
    }

    public FeedSourceException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>GStreamer refused the camera's codec (its pipeline takes H.264/H.265 only): FFmpeg can read it.</summary>
    public bool UnsupportedCodec { get; init; }
}
