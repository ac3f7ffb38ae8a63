namespace InferenceServer.Core.Feeds;

/// <summary>A snapshot of one feed for the API and tests.</summary>
internal sealed record FeedStatus
{
    public required FeedSpec Spec { get; init; }

    public required FeedState State { get; init; }

    public string? LastError { get; init; }

    public long FramesRead { get; init; }

    public long FramesInferred { get; init; }

    /// <summary>Frames read but not inferred (max fps, or the model was still busy with newer ones).</summary>
    public long FramesSkipped { get; init; }

    public long FrameErrors { get; init; }

    public long Reconnects { get; init; }

    public int Width { get; init; }

    public int Height { get; init; }

    public DateTimeOffset? LastFrameAt { get; init; }

    public DateTimeOffset? LastResultAt { get; init; }

    /// <summary>Source frame rate measured at the reader (smoothed).</summary>
    public double SourceFps { get; init; }

    /// <summary>Capture → result delivered, last frame (ms).</summary>
    public double LastLatencyMs { get; init; }

    public int Subscribers { get; init; }

    /// <summary>What decodes the feed ("ffmpeg", "gstreamer", "opencv"); null before the first connection attempt.</summary>
    public string? Decoder { get; init; }

    /// <summary>Recent state changes, oldest first (at most 32).</summary>
    public required IReadOnlyList<FeedTransition> History { get; init; }
}
