using InferenceServer.Core.Registry;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// What a feed's frame holds while in the pipeline: its model version and its pooled pixel buffer. Released
/// exactly once, whether the frame completes, fails or is dropped, which is how the feed counts frames in flight.
/// </summary>
internal sealed class FeedFrameLease : IDisposable
{
    private ModelLease? _model;
    private VideoFrame? _frame;
    private Action? _released;

    public FeedFrameLease(ModelLease model, VideoFrame frame, Action released)
    {
        _model = model;
        _frame = frame;
        _released = released;
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _frame, null)?.Dispose();
        Interlocked.Exchange(ref _model, null)?.Dispose();
        Interlocked.Exchange(ref _released, null)?.Invoke();
    }
}
