namespace InferenceServer.Core.Feeds;

/// <summary>A feeds API request that cannot be done as asked; the message says why.</summary>
internal sealed class FeedRequestException : Exception
{
    public FeedRequestException(FeedErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    public FeedErrorKind Kind { get; }
}
