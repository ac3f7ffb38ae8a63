using System.Threading.Channels;
using InferenceServer.Core.Pipeline;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// One WatchFeed subscriber: a small queue that drops its oldest result when the subscriber falls behind, so a
/// slow subscriber skips results and never slows the feed or the other subscribers.
/// </summary>
internal sealed class FeedSubscription : IDisposable
{
    // A few results of slack for network jitter; beyond that the subscriber sees the newest results only.
    private const int Capacity = 8;

    private readonly Channel<FrameOutcome> _channel;
    private readonly Action<FeedSubscription> _unsubscribe;
    private long _skipped;

    public FeedSubscription(string feedId, Action<FeedSubscription> unsubscribe)
    {
        FeedId = feedId;
        _unsubscribe = unsubscribe;
        _channel = Channel.CreateBounded<FrameOutcome>(
            new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => Interlocked.Increment(ref _skipped));
    }

    public string FeedId { get; }

    /// <summary>Results in frame order; completes when the feed is removed.</summary>
    public ChannelReader<FrameOutcome> Results => _channel.Reader;

    public long Skipped => Interlocked.Read(ref _skipped);

    internal void Offer(FrameOutcome outcome) => _channel.Writer.TryWrite(outcome);

    internal void Close() => _channel.Writer.TryComplete();

    public void Dispose()
    {
        Close();
        _unsubscribe(this);
    }
}
