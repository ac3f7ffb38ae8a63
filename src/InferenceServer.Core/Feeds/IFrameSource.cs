namespace InferenceServer.Core.Feeds;

/// <summary>Where a feed's frames come from: a local file (OpenCV) or a network stream (an FFmpeg child process).</summary>
internal interface IFrameSource : IDisposable
{
    /// <summary>The next frame, or null at the end of the stream. Throws <see cref="FeedSourceException"/> on errors.</summary>
    ValueTask<VideoFrame?> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Unblocks a pending read from another thread (a stalled source); the read then fails or ends.</summary>
    void Abort();
}
