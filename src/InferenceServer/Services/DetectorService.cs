using System.Diagnostics;
using Grpc.Core;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Pipeline;
using InferenceServer.Core.Telemetry;
using InferenceServer.Hosting;
using InferenceServer.Protos.Detection.V1;

namespace InferenceServer.Services;

/// <summary>detection.v1.Detector: single images and one bidirectional stream per camera.</summary>
internal sealed partial class DetectorService : Detector.DetectorBase
{
    // Results a camera may leave unread before the server stops reading its frames (HTTP/2 flow control then
    // pushes back to the camera): enough to ride out network jitter, small enough to bound memory per stream.
    private const int MaxUnsentResults = 32;

    private readonly ModelHost _models;
    private readonly PipelineHost _pipeline;
    private readonly ILogger<DetectorService> _logger;
    private readonly Security.StreamQuota _quota;

    public DetectorService(ModelHost models, PipelineHost pipeline, Security.StreamQuota quota, ILogger<DetectorService> logger)
    {
        _models = models;
        _pipeline = pipeline;
        _quota = quota;
        _logger = logger;
    }

    public override async Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context)
    {
        var lease = Resolve(request.Options);
        var (options, error) = DetectOptionsMapper.Map(request.Options, lease.Model);
        if (options is null)
        {
            lease.Dispose();
            throw new RpcException(new Status(StatusCode.InvalidArgument, error!));
        }

        var frame = ProtoMapping.ToRequest(request.Image, lease.Model, options, null);
        frame.Lease = lease;
        if (context.Deadline != DateTime.MaxValue)
        {
            frame.DeadlineUtcTicks = context.Deadline.ToUniversalTime().Ticks;
        }

        var outcome = await _pipeline.Pipeline.RunAsync(frame, context.CancellationToken);
        if (outcome.Result is not { } result)
        {
            throw new RpcException(new Status(ProtoMapping.StatusOf(outcome.Error ?? FrameErrorCode.Internal), outcome.ErrorMessage ?? "failed"));
        }

        var response = new DetectResponse
        {
            Model = result.Model,
            Version = result.Version,
            Width = result.ImageWidth,
            Height = result.ImageHeight,
            Timings = ProtoMapping.ToProto(result.Timings),
        };
        ProtoMapping.AddDetections(response.Detections, result);
        return response;
    }

    public override async Task StreamDetect(IAsyncStreamReader<Frame> requestStream, IServerStreamWriter<FrameResult> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        if (!await NextFrameAsync(requestStream, ct))
        {
            return;
        }

        var first = requestStream.Current;
        var route = first.Options ?? new DetectOptions();
        DetectionModel model;
        using (var probe = Resolve(route))
        {
            model = probe.Model;
            if (DetectOptionsMapper.Map(route, model).Error is string error)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, error));
            }
        }

        string streamId = string.IsNullOrWhiteSpace(first.StreamId) ? $"stream-{Guid.NewGuid():N}"[..15] : first.StreamId;
        if (streamId.Length > 128)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "stream_id is longer than 128 characters."));
        }

        using var slot = _quota.TryEnter(Security.KeyPartition.Of(context.GetHttpContext()))
            ?? throw new RpcException(new Status(StatusCode.ResourceExhausted, "too many concurrent streams for this key (InferenceServer:Limits:StreamsPerKey)."));
        var mode = first.Backpressure == Backpressure.Block ? BackpressureMode.Block : BackpressureMode.Latest;
        using var session = _pipeline.Pipeline.OpenStream(streamId, mode)
            ?? throw new RpcException(new Status(StatusCode.ResourceExhausted, "too many concurrent streams (InferenceServer:Pipeline:MaxStreams)."));
        LogStreamOpened(_logger, streamId, mode.ToString(), model.Name);

        var writer = WriteResultsAsync(session, responseStream, streamId, ct);
        try
        {
            var frame = first;
            var thresholds = route;
            DetectionModel? mappedFor = null;
            Core.Detection.PostprocessOptions options = null!;
            while (true)
            {
                if (frame.Options is not null && !ReferenceEquals(frame, first))
                {
                    // Later frames may change thresholds for themselves and what follows (not the model).
                    thresholds = frame.Options;
                    mappedFor = null;
                }

                // A camera that does not read its results is not read from either (before leasing a model version).
                await session.WaitForRoomAsync(MaxUnsentResults, ct);

                // Each frame leases the version serving now: after a promotion, new frames go to the new version.
                var lease = Resolve(route);
                if (!ReferenceEquals(lease.Model, mappedFor))
                {
                    var (mapped, mapError) = DetectOptionsMapper.Map(thresholds, lease.Model);
                    if (mapped is null)
                    {
                        lease.Dispose();
                        throw new RpcException(new Status(StatusCode.InvalidArgument, mapError!));
                    }

                    options = mapped;
                    mappedFor = lease.Model;
                }

                var request = ProtoMapping.ToRequest(frame.Image, lease.Model, options, session);
                request.Lease = lease;
                request.Sequence = frame.Sequence;
                request.CaptureTimeUnixNanos = frame.CaptureTimeUnixNanos;
                if (frame.DeadlineUnixNanos > 0)
                {
                    request.DeadlineUtcTicks = DateTime.UnixEpoch.Ticks + (frame.DeadlineUnixNanos / 100);
                }

                await session.EnqueueAsync(request, ct);
                if (!await NextFrameAsync(requestStream, ct))
                {
                    break;
                }

                frame = requestStream.Current;
            }
        }
        finally
        {
            session.CompleteInput();
        }

        await writer;
        LogStreamClosed(_logger, streamId, session.DroppedFrames);
    }

    // A camera that disconnects abruptly (reset stream) is a cancelled call, not a server error.
    private static async Task<bool> NextFrameAsync(IAsyncStreamReader<Frame> frames, CancellationToken ct)
    {
        try
        {
            return await frames.MoveNext(ct);
        }
        catch (IOException ex)
        {
            // Kestrel reports a reset request stream as IOException before the call's token is cancelled.
            throw new RpcException(new Status(StatusCode.Cancelled, "the client reset the stream", ex));
        }
    }

    private static async Task WriteResultsAsync(StreamSession session, IServerStreamWriter<FrameResult> responses, string streamId, CancellationToken ct)
    {
        double fps = 0;
        long last = Stopwatch.GetTimestamp();
        try
        {
            await foreach (var outcome in session.Results.ReadAllAsync(ct))
            {
                await responses.WriteAsync(ProtoMapping.ToFrameResult(outcome, streamId), ct);
                session.ResultSent();
                ServerMetrics.StreamFrames.WithLabels(streamId).Inc();
                long now = Stopwatch.GetTimestamp();
                double instant = 1.0 / Math.Max(1e-6, Stopwatch.GetElapsedTime(last, now).TotalSeconds);
                fps = fps == 0 ? instant : (0.9 * fps) + (0.1 * instant);
                last = now;
                ServerMetrics.StreamFps.WithLabels(streamId).Set(fps);
            }
        }
        finally
        {
            ServerMetrics.StreamFps.RemoveLabelled(streamId);
        }
    }

    private Core.Registry.ModelLease Resolve(DetectOptions? options)
    {
        if (string.IsNullOrEmpty(options?.Model) && !_models.IsReady)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, _models.LoadError ?? "the default model is still loading"));
        }

        return _models.Acquire(options?.Model, options?.Version)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"model '{options?.Model}' version '{(string.IsNullOrEmpty(options?.Version) ? "any" : options.Version)}' is not loaded"));
    }

    [LoggerMessage(30, LogLevel.Information, "Stream {Stream} opened ({Mode}) on {Model}")]
    private static partial void LogStreamOpened(ILogger logger, string stream, string mode, string model);

    [LoggerMessage(31, LogLevel.Information, "Stream {Stream} closed, {Dropped} frame(s) dropped")]
    private static partial void LogStreamClosed(ILogger logger, string stream, long dropped);
}
