using System.Diagnostics;
using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;

namespace InferenceServer.Core.Pipeline;

/// <summary>
/// One frame travelling through the pipeline: what arrived (encoded bytes, a raw buffer or an already packed
/// tensor), where it goes (model, thresholds), and what each stage added (tensor, geometry, timings).
/// </summary>
internal sealed class FrameRequest
{
    private readonly TaskCompletionSource<FrameOutcome>? _completion;
    private int _completed;

    private FrameRequest(DetectionModel model, PostprocessOptions options, StreamSession? stream, bool awaitable)
    {
        Model = model;
        Options = options;
        Stream = stream;
        ReceivedTimestamp = Stopwatch.GetTimestamp();
        if (awaitable)
        {
            _completion = new TaskCompletionSource<FrameOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public DetectionModel Model { get; }

    /// <summary>Keeps <see cref="Model"/> loaded until the frame completes (null when the caller manages lifetime).</summary>
    public IDisposable? Lease { get; set; }

    public PostprocessOptions Options { get; }

    /// <summary>The stream the frame belongs to; null for single requests.</summary>
    public StreamSession? Stream { get; }

    public ulong Sequence { get; set; }

    public long CaptureTimeUnixNanos { get; set; }

    /// <summary>UTC ticks after which the frame is not inferred; 0 for none.</summary>
    public long DeadlineUtcTicks { get; set; }

    public ReadOnlyMemory<byte> Encoded { get; private init; }

    public RawFrame? Raw { get; private init; }

    /// <summary>Set for tensor requests: [3,H,W] already packed by the client; output returned raw.</summary>
    public float[]? PackedTensor { get; private init; }

    public long ReceivedTimestamp { get; }

    /// <summary>Position in its stream's output order (assigned when it leaves the stream's queue).</summary>
    public long Order { get; set; }

    // Filled by the decode stage.
    public float[]? Tensor { get; set; }

    public LetterboxTransform Transform { get; set; }

    public int Width { get; set; }

    public int Height { get; set; }

    public double DecodeMs { get; set; }

    public double PreprocessMs { get; set; }

    /// <summary>When the frame entered its model's batch queue.</summary>
    public long BatchQueuedTimestamp { get; set; }

    public Task<FrameOutcome> Completion => _completion?.Task ?? throw new InvalidOperationException("Stream frames complete through their stream.");

    public bool Expired => DeadlineUtcTicks != 0 && DateTime.UtcNow.Ticks > DeadlineUtcTicks;

    public static FrameRequest ForEncoded(DetectionModel model, PostprocessOptions options, ReadOnlyMemory<byte> encoded, StreamSession? stream = null) =>
        new(model, options, stream, stream is null) { Encoded = encoded };

    public static FrameRequest ForRaw(DetectionModel model, PostprocessOptions options, RawFrame raw, StreamSession? stream = null) =>
        new(model, options, stream, stream is null) { Raw = raw };

    public static FrameRequest ForTensor(DetectionModel model, float[] packed) =>
        new(model, model.Defaults, null, awaitable: true) { PackedTensor = packed };

    /// <summary>Hands the outcome to whoever waits: the single caller, or the stream's in-order output.</summary>
    public void Complete(FrameOutcome outcome)
    {
        if (Interlocked.Exchange(ref _completed, 1) != 0)
        {
            return; // Exactly one outcome per frame.
        }

        if (_completion is not null)
        {
            _completion.TrySetResult(outcome);
        }
        else
        {
            Stream!.Complete(outcome);
        }

        // The frame no longer needs its model version; the last lease of a retired version disposes it.
        Lease?.Dispose();
    }

    public void Fail(FrameErrorCode code, string message) => Complete(FrameOutcome.Failed(this, code, message));
}
