using System.Diagnostics;
using System.Threading.Channels;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Pipeline;

/// <summary>
/// Dynamic batching for one model version (as Triton's dynamic_batching): each instance loop takes the first
/// waiting frame, then gathers more until the batch is full or <see cref="PipelineOptions.MaxQueueDelayMicroseconds"/>
/// has passed, copies their tensors into the instance's pinned input, runs it once, and post-processes each frame.
/// Models with a fixed batch of 1 get batches of 1 served by parallel instances.
/// </summary>
internal sealed partial class ModelBatcher : IAsyncDisposable
{
    private readonly DetectionModel _model;
    private readonly Channel<FrameRequest> _queue;
    private readonly TimeSpan _maxDelay;
    private readonly ILogger _logger;
    private readonly Func<bool> _moreComing;
    private readonly Task[] _loops;

    /// <param name="buffers">Tensor pool for this model's input size, shared with other versions of the same size.</param>
    /// <param name="moreComing">Whether any frame is on its way (queued in a stream or being decoded): when none is,
    /// waiting for a fuller batch would only add latency.</param>
    public ModelBatcher(DetectionModel model, PipelineOptions options, TensorBufferPool buffers, ILogger logger, Func<bool>? moreComing = null)
    {
        _model = model;
        _logger = logger;
        _moreComing = moreComing ?? (() => true);
        _maxDelay = TimeSpan.FromTicks(options.MaxQueueDelayMicroseconds * 10L);
        Buffers = buffers;

        // Two full batches per instance: enough to form the next batch while one runs, small enough that frames
        // wait upstream in their stream's queue, where the latest policy can still drop stale ones.
        int capacity = Math.Max(2, 2 * model.Instances.MaxBatch * model.Instances.Count);
        _queue = Channel.CreateBounded<FrameRequest>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
        _loops = Enumerable.Range(0, model.Instances.Count).Select(_ => Task.Run(RunLoopAsync)).ToArray();
    }

    public TensorBufferPool Buffers { get; }

    public int QueueDepth => _queue.Reader.Count;

    public ValueTask EnqueueAsync(FrameRequest frame, CancellationToken cancellationToken)
    {
        frame.BatchQueuedTimestamp = Stopwatch.GetTimestamp();
        return _queue.Writer.WriteAsync(frame, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(false);
    }

    private async Task RunLoopAsync()
    {
        int maxBatch = _model.Instances.MaxBatch;
        var batch = new List<FrameRequest>(maxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            if (!reader.TryRead(out var first))
            {
                continue;
            }

            batch.Add(first);
            long start = Stopwatch.GetTimestamp();
            while (batch.Count < maxBatch)
            {
                if (reader.TryRead(out var more))
                {
                    batch.Add(more);
                    continue;
                }

                var remaining = _maxDelay - Stopwatch.GetElapsedTime(start);
                if (remaining <= TimeSpan.Zero || !_moreComing() || !await WaitForMoreAsync(reader, remaining).ConfigureAwait(false))
                {
                    break;
                }
            }

            try
            {
                await RunBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The loop must survive anything one batch does; its frames fail, the next batch runs.
                LogBatchFailed(_logger, _model.Name, batch.Count, ex.Message);
                foreach (var f in batch)
                {
                    f.Fail(FrameErrorCode.Internal, $"inference failed: {ex.Message}");
                }
            }
        }
    }

    private static async Task<bool> WaitForMoreAsync(ChannelReader<FrameRequest> reader, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await reader.WaitToReadAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task RunBatchAsync(List<FrameRequest> batch)
    {
        // Frames whose deadline passed while queued are answered, not inferred.
        for (int i = batch.Count - 1; i >= 0; i--)
        {
            if (batch[i].Expired)
            {
                var expired = batch[i];
                batch.RemoveAt(i);
                ReturnTensor(expired);
                expired.Fail(FrameErrorCode.DeadlineExceeded, "the frame's deadline passed before inference");
            }
        }

        if (batch.Count == 0)
        {
            return;
        }

        var instance = await _model.Instances.RentAsync(CancellationToken.None).ConfigureAwait(false);
        long batchStart = Stopwatch.GetTimestamp();
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                batch[i].Tensor.AsSpan().CopyTo(instance.InputSlot(i));
                ReturnTensor(batch[i]);
            }

            instance.Run(batch.Count);
        }
        catch (Exception ex) when (ex is Microsoft.ML.OnnxRuntime.OnnxRuntimeException or InvalidOperationException or ArgumentException)
        {
            _model.Instances.Return(instance);
            LogBatchFailed(_logger, _model.Name, batch.Count, ex.Message);
            foreach (var f in batch)
            {
                f.Fail(FrameErrorCode.Internal, $"inference failed: {ex.Message}");
            }

            return;
        }

        double inferenceMs = Stopwatch.GetElapsedTime(batchStart).TotalMilliseconds;
        ServerMetrics.BatchSize.WithLabels(_model.Name).Observe(batch.Count);
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                Finish(batch[i], instance, i, batchStart, inferenceMs);
            }
        }
        finally
        {
            _model.Instances.Return(instance);
        }
    }

    private void Finish(FrameRequest frame, ModelInstance instance, int slot, long batchStart, double inferenceMs)
    {
        long postStart = Stopwatch.GetTimestamp();
        double queueMs = Stopwatch.GetElapsedTime(frame.BatchQueuedTimestamp, batchStart).TotalMilliseconds;
        if (frame.PackedTensor is not null)
        {
            frame.Complete(new FrameOutcome { Request = frame, RawOutput = instance.OutputSlot(slot).ToArray() });
            return;
        }

        var kept = instance.Kept;
        kept.Clear();
        _model.Postprocessor.Process(instance.OutputSlot(slot), frame.Transform, frame.Options, instance.Candidates, kept);
        var labeled = new LabeledDetection[kept.Count];
        for (int k = 0; k < kept.Count; k++)
        {
            var d = kept[k];
            labeled[k] = new LabeledDetection(_model.Label(d.ClassId), d.ClassId, d.Score, d.X1, d.Y1, d.X2, d.Y2);
        }

        double postMs = Stopwatch.GetElapsedTime(postStart).TotalMilliseconds;
        double totalMs = Stopwatch.GetElapsedTime(frame.ReceivedTimestamp).TotalMilliseconds;
        double upstreamQueueMs = Math.Max(0, totalMs - queueMs - frame.DecodeMs - frame.PreprocessMs - inferenceMs - postMs);
        var timings = new StageTimings(queueMs + upstreamQueueMs, frame.DecodeMs, frame.PreprocessMs, inferenceMs, postMs, totalMs);
        var result = new DetectionResult(_model.Name, _model.Version, frame.Width, frame.Height, labeled, timings);
        ServerMetrics.Observe(result);
        frame.Complete(new FrameOutcome { Request = frame, Result = result });
    }

    private void ReturnTensor(FrameRequest frame)
    {
        if (frame.Tensor is not null && frame.PackedTensor is null)
        {
            Buffers.Return(frame.Tensor);
        }

        frame.Tensor = null;
    }

    [LoggerMessage(20, LogLevel.Warning, "Batch of {Count} on {Model} failed: {Error}")]
    private static partial void LogBatchFailed(ILogger logger, string model, int count, string error);
}
