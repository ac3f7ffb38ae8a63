namespace InferenceServer.Core.Feeds;

/// <summary>Where a feed is in its life: see docs/architecture.md for the transitions.</summary>
public enum FeedState
{
    /// <summary>Opening the source for the first time.</summary>
    Connecting,

    /// <summary>Frames are arriving.</summary>
    Streaming,

    /// <summary>No new frame within the stall timeout; about to reconnect.</summary>
    Stalled,

    /// <summary>Waiting out the backoff after a failure, or opening the source again.</summary>
    Reconnecting,

    /// <summary>Removed, or a non-looping file ended.</summary>
    Stopped,

    /// <summary>Gave up after the configured number of failed attempts.</summary>
    Failed,
}
