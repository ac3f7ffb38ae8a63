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
}
