using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Pipeline;

/// <summary>
/// ingest → decode → preprocess → batch → infer → postprocess → route. Streams queue frames in their own small
/// queues; a dispatcher takes one frame per stream in turn (round-robin, so a fast camera cannot starve the
/// others) into a bounded decode queue; decode workers turn bytes into packed tensors; each model version's
/// <see cref="ModelBatcher"/> batches across streams; outcomes go back to their stream in order, or to the caller.
/// </summary>
internal sealed partial class DetectionPipeline : IAsyncDisposable
{
    private readonly PipelineOptions _options;
    private readonly ImageLimits _limits;
    private readonly ILogger _logger;
    private readonly Channel<FrameRequest> _decode;
    private readonly Channel<StreamSession> _ready;
    private readonly ConcurrentDictionary<DetectionModel, ModelBatcher> _batchers = new();
    private readonly ConcurrentDictionary<StreamSession, byte> _streams = new();

    // By input size, not by model version: a hot-swapped version reuses its predecessor's buffers.
    private readonly ConcurrentDictionary<int, TensorBufferPool> _buffers = new();
    private readonly Task[] _workers;
    private readonly Task _dispatcher;
    private readonly CancellationTokenSource _stopping = new();

    // The batchers' "is more coming?" signal: frames handed to the decode stage and not yet in a batcher, and
    // streams scheduled with queued frames.
    private int _upstream;
    private int _scheduledStreams;
    private int _disposed;

    public DetectionPipeline(PipelineOptions options, ImageLimits limits, ILogger logger)
    {
        _options = options;
        _limits = limits;
        _logger = logger;
        int workers = options.DecodeWorkers > 0 ? options.DecodeWorkers : Environment.ProcessorCount;

        // Two frames per worker: workers never starve, and frames that cannot be decoded yet stay in their
        // stream's queue (where latest-mode streams drop stale frames) instead of ageing here.
        _decode = Channel.CreateBounded<FrameRequest>(new BoundedChannelOptions(2 * workers)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });

        // Streams with queued frames, each present at most once: bounded by the number of open streams.
        _ready = Channel.CreateUnbounded<StreamSession>(new UnboundedChannelOptions { SingleReader = true });
        _workers = Enumerable.Range(0, workers).Select(_ => Task.Run(DecodeLoopAsync)).ToArray();
        _dispatcher = Task.Run(DispatchLoopAsync);
    }

    public int ActiveStreams => _streams.Count;

    public int DecodeQueueDepth => _decode.Reader.Count;

    /// <summary>Opens a stream, or returns null when <see cref="PipelineOptions.MaxStreams"/> are already open.</summary>
    public StreamSession? OpenStream(string id, BackpressureMode mode)
    {
        var session = new StreamSession(id, mode, _limits, Schedule, s => _streams.TryRemove(s, out _));
        if (_streams.Count >= _options.MaxStreams)
        {
            session.Dispose();
            return null;
        }

        _streams[session] = 0;
        return session;
    }

    /// <summary>The open streams called <paramref name="id"/> (stream ids are chosen by clients, so maybe several).</summary>
    public IReadOnlyList<StreamSession> FindStreams(string id) => [.. _streams.Keys.Where(s => s.Id == id)];

    /// <summary>Runs one frame through the pipeline and waits for its outcome.</summary>
    public async Task<FrameOutcome> RunAsync(FrameRequest frame, CancellationToken cancellationToken)
    {
        try
        {
            await HandToDecodeAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            frame.Lease?.Dispose(); // Never entered the pipeline: nothing will complete it.
            throw;
        }

        ServerMetrics.QueueDepth.WithLabels("decode").Set(_decode.Reader.Count);
        return await frame.Completion.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        _ready.Writer.TryComplete();
        try
        {
            await _dispatcher.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected: the dispatcher was waiting for room when we stopped.
        }

        _decode.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        foreach (var batcher in _batchers.Values)
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    /// <summary>Stops a retired model version's batcher (its frames are all done) before the version is disposed.</summary>
    public async ValueTask ReleaseModelAsync(DetectionModel model)
    {
        if (_batchers.TryRemove(model, out var batcher))
        {
            await batcher.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal ModelBatcher BatcherFor(DetectionModel model) =>
        _batchers.GetOrAdd(model, m => new ModelBatcher(
            m, _options, _buffers.GetOrAdd(m.Signature.InputLength, length => new TensorBufferPool(length)), _logger, MoreComing));

    private bool MoreComing() => Volatile.Read(ref _upstream) > 0 || Volatile.Read(ref _scheduledStreams) > 0;

    /// <summary>Into the decode queue, counted as on its way to a batcher until a decode worker is done with it.</summary>
    private async ValueTask HandToDecodeAsync(FrameRequest frame, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _upstream);
        try
        {
            await _decode.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Interlocked.Decrement(ref _upstream);
            throw;
        }
    }

    private void Schedule(StreamSession stream)
    {
        if (Interlocked.CompareExchange(ref stream.ScheduledFlag, 1, 0) == 0)
        {
            Interlocked.Increment(ref _scheduledStreams);
            _ready.Writer.TryWrite(stream);
        }
    }

    private async Task DispatchLoopAsync()
    {
        var token = _stopping.Token;
        while (await _ready.Reader.WaitToReadAsync(token).ConfigureAwait(false))
        {
            while (_ready.Reader.TryRead(out var stream))
            {
                if (stream.TryTake(out var frame))
                {
                    await HandToDecodeAsync(frame, token).ConfigureAwait(false);
                    ServerMetrics.QueueDepth.WithLabels("decode").Set(_decode.Reader.Count);

                    // Back to the end of the line: one frame per stream per turn.
                    _ready.Writer.TryWrite(stream);
                    continue;
                }

                Volatile.Write(ref stream.ScheduledFlag, 0);
                Interlocked.Decrement(ref _scheduledStreams);
                if (stream.HasQueued)
                {
                    Schedule(stream); // A frame arrived between TryTake and clearing the flag.
                }
            }
        }
    }

    private async Task DecodeLoopAsync()
    {
        using var scratch = new PreprocessScratch();
        await foreach (var frame in _decode.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await DecodeOneAsync(frame, scratch).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _upstream);
            }
        }
    }

    private async Task DecodeOneAsync(FrameRequest frame, PreprocessScratch scratch)
    {
        try
        {
            if (frame.Expired)
            {
                frame.Fail(FrameErrorCode.DeadlineExceeded, "the frame's deadline passed before it was decoded");
                return;
            }

            var batcher = BatcherFor(frame.Model);
            if (!Prepare(frame, batcher, scratch))
            {
                return;
            }

            await batcher.EnqueueAsync(frame, CancellationToken.None).ConfigureAwait(false);
            ServerMetrics.QueueDepth.WithLabels("batch").Set(batcher.QueueDepth);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Never let one frame take a worker down.
            LogFrameFailed(_logger, ex.Message);
            frame.Fail(FrameErrorCode.Internal, $"preprocessing failed: {ex.Message}");
        }
    }

    private bool Prepare(FrameRequest frame, ModelBatcher batcher, PreprocessScratch scratch)
    {
        var signature = frame.Model.Signature;
        if (frame.PackedTensor is not null)
        {
            frame.Tensor = frame.PackedTensor;
            return true;
        }

        long start = Stopwatch.GetTimestamp();
        OpenCvSharp.Mat image;
        int width;
        int height;
        try
        {
            if (frame.Raw is { } raw)
            {
                image = ImageDecoder.FromRaw(raw.Data.Span, raw.Format, raw.Width, raw.Height, raw.Stride, _limits);
                (width, height) = (raw.Width, raw.Height);
            }
            else if (_options.ReducedJpegDecode)
            {
                image = ImageDecoder.DecodeAtLeast(frame.Encoded.Span, _limits, signature.InputWidth, signature.InputHeight, out width, out height);
            }
            else
            {
                image = ImageDecoder.Decode(frame.Encoded.Span, _limits);
                (width, height) = (image.Width, image.Height);
            }
        }
        catch (ImageDecodeException ex)
        {
            ServerMetrics.Requests.WithLabels(frame.Model.Name, frame.Model.Version, "bad_image").Inc();
            frame.Fail(ex.Kind == ImageErrorKind.TooLarge ? FrameErrorCode.TooLarge : FrameErrorCode.InvalidArgument, ex.Message);
            return false;
        }

        using (image)
        {
            long decoded = Stopwatch.GetTimestamp();
            var tensor = batcher.Buffers.Rent();
            frame.Transform = TensorPacker.Pack(image, frame.Model.Preprocess, signature.InputWidth, signature.InputHeight, tensor, scratch)
                .RelativeTo(width, height);
            frame.Tensor = tensor;
            frame.Width = width;
            frame.Height = height;
            frame.DecodeMs = Stopwatch.GetElapsedTime(start, decoded).TotalMilliseconds;
            frame.PreprocessMs = Stopwatch.GetElapsedTime(decoded).TotalMilliseconds;
        }

        return true;
    }

    [LoggerMessage(21, LogLevel.Warning, "A frame failed in preprocessing: {Error}")]
    private static partial void LogFrameFailed(ILogger logger, string error);
}
