namespace InferenceServer.Core.Feeds;

/// <summary>One state change of a feed, with why.</summary>
internal sealed record FeedTransition(DateTimeOffset At, FeedState State, string? Reason);
