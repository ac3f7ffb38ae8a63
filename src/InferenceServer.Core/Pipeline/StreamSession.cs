using System.Threading.Channels;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Telemetry;

namespace InferenceServer.Core.Pipeline;

/// <summary>
/// One camera's stream: a small input queue whose overflow policy is the stream's backpressure mode, and an
/// output that re-orders outcomes so results leave in the order frames left the queue.
/// </summary>
internal sealed class StreamSession : IDisposable
{
    // Block mode: a few frames of slack so decode of the next frame overlaps inference of this one; beyond that
    // the producer waits (gRPC stops reading, HTTP/2 flow control pushes back to the camera).
    private const int BlockCapacity = 4;

    private readonly Channel<FrameRequest> _input;
    private readonly Channel<FrameOutcome> _output;
    private readonly Action<StreamSession> _notify;
    private readonly Action<StreamSession> _closed;
    private readonly SortedDictionary<long, FrameOutcome> _pending = [];
    private readonly object _lock = new();
    private readonly SemaphoreSlim _drained = new(0);
    private long _dropped;
    private int _unsent;
    private long _nextOrder;
    private long _nextEmit;
    private bool _inputDone;
    private int _scheduled;
    private int _disposed;

    public StreamSession(string id, BackpressureMode mode, ImageLimits limits, Action<StreamSession> notify, Action<StreamSession> closed)
    {
        Id = id;
        Capture = new FrameCapture(limits);
        Mode = mode;
        _notify = notify;
        _closed = closed;
        _input = mode == BackpressureMode.Latest
            // Latest: one slot, newest wins; what it pushes out is a dropped frame, counted.
            ? Channel.CreateBounded<FrameRequest>(
                new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true, SingleReader = true },
                OnDropped)
            : Channel.CreateBounded<FrameRequest>(
                new BoundedChannelOptions(BlockCapacity) { FullMode = BoundedChannelFullMode.Wait, SingleWriter = true, SingleReader = true });

        // Unbounded channel, bounded use: producers wait in WaitForRoomAsync while too many results are unsent.
        _output = Channel.CreateUnbounded<FrameOutcome>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
        ServerMetrics.ActiveStreams.Inc();
    }

    public string Id { get; }

    public BackpressureMode Mode { get; }

    /// <summary>Asks for the next frame that enters this stream (to label it later).</summary>
    public FrameCapture Capture { get; }

    public long DroppedFrames => Interlocked.Read(ref _dropped);

    /// <summary>Outcomes in frame order; completes after the last frame once input is complete.</summary>
    public ChannelReader<FrameOutcome> Results => _output.Reader;

    /// <summary>Results handed to <see cref="Results"/> but not yet sent on by the consumer.</summary>
    public int UnsentResults => Volatile.Read(ref _unsent);

    internal ref int ScheduledFlag => ref _scheduled;

    internal bool HasQueued => _input.Reader.Count > 0;

    /// <summary>Queues a frame: in latest mode never waits (an older queued frame is dropped instead).</summary>
    public async ValueTask EnqueueAsync(FrameRequest frame, CancellationToken cancellationToken)
    {
        if (Capture.IsPending)
        {
            Capture.Offer(frame);
        }

        try
        {
            await _input.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            frame.Lease?.Dispose();
            throw;
        }

        _notify(this);
    }

    /// <summary>
    /// Waits while <paramref name="maxUnsent"/> or more results are waiting for a consumer that does not read them:
    /// the producer stops taking frames instead of the server buffering results (and their frames) without bound.
    /// </summary>
    public async ValueTask WaitForRoomAsync(int maxUnsent, CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _unsent) >= maxUnsent)
        {
            // Woken by ResultSent; the timeout only guards against a missed wake-up.
            await _drained.WaitAsync(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The consumer sent one result on.</summary>
    public void ResultSent()
    {
        Interlocked.Decrement(ref _unsent);
        if (_drained.CurrentCount == 0)
        {
            _drained.Release();
        }
    }

    /// <summary>No more frames will come; results complete once in-flight frames are done.</summary>
    public void CompleteInput()
    {
        _input.Writer.TryComplete();
        lock (_lock)
        {
            _inputDone = true;
            TryFinish();
        }
    }

    internal bool TryTake(out FrameRequest frame)
    {
        lock (_lock)
        {
            if (!_input.Reader.TryRead(out frame!))
            {
                return false;
            }

            frame.Order = _nextOrder++;
            return true;
        }
    }

    internal void Complete(FrameOutcome outcome)
    {
        lock (_lock)
        {
            _pending[outcome.Request.Order] = outcome;
            while (_pending.Remove(_nextEmit, out var next))
            {
                Interlocked.Increment(ref _unsent);
                _output.Writer.TryWrite(new FrameOutcome
                {
                    Request = next.Request,
                    Result = next.Result,
                    RawOutput = next.RawOutput,
                    Error = next.Error,
                    ErrorMessage = next.ErrorMessage,
                    DroppedFrames = DroppedFrames,
                });
                _nextEmit++;
            }

            TryFinish();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _input.Writer.TryComplete();
            while (_input.Reader.TryRead(out var abandoned))
            {
                abandoned.Lease?.Dispose(); // Queued but never dispatched: release its model version.
            }

            _output.Writer.TryComplete();
            Capture.Cancel();
            ServerMetrics.ActiveStreams.Dec();
            _closed(this);
        }
    }

    private void TryFinish()
    {
        if (_inputDone && _nextEmit == _nextOrder && _input.Reader.Count == 0)
        {
            _output.Writer.TryComplete();
        }
    }

    private void OnDropped(FrameRequest frame)
    {
        frame.Lease?.Dispose();
        Interlocked.Increment(ref _dropped);
        ServerMetrics.DroppedFrames.WithLabels(Id, "latest").Inc();
    }
}
