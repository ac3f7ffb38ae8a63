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
    private readonly ModelHost _models;
    private readonly PipelineHost _pipeline;
    private readonly ILogger<DetectorService> _logger;

    public DetectorService(ModelHost models, PipelineHost pipeline, ILogger<DetectorService> logger)
    {
        _models = models;
        _pipeline = pipeline;
        _logger = logger;
    }

    public override async Task<DetectResponse> Detect(DetectRequest request, ServerCallContext context)
    {
        var model = Resolve(request.Options);
        var (options, error) = DetectOptionsMapper.Map(request.Options, model);
        if (options is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, error!));
        }

        var frame = ProtoMapping.ToRequest(request.Image, model, options, null);
        if (context.Deadline != DateTime.MaxValue)
        {
            frame.DeadlineUtcTicks = context.Deadline.ToUniversalTime().Ticks;
        }

        var outcome = await _pipeline.Pipeline.RunAsync(frame, context.CancellationToken);
        if (outcome.Result is not { } result)
        {
            var status = outcome.Error switch
            {
                FrameErrorCode.InvalidArgument or FrameErrorCode.TooLarge => StatusCode.InvalidArgument,
                FrameErrorCode.DeadlineExceeded => StatusCode.DeadlineExceeded,
                FrameErrorCode.NotFound => StatusCode.NotFound,
                FrameErrorCode.Unavailable => StatusCode.Unavailable,
                _ => StatusCode.Internal,
            };
            throw new RpcException(new Status(status, outcome.ErrorMessage ?? "failed"));
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
        if (!await requestStream.MoveNext(ct))
        {
            return;
        }

        var first = requestStream.Current;
        var model = Resolve(first.Options);
        var (options, error) = DetectOptionsMapper.Map(first.Options, model);
        if (options is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, error!));
        }

        string streamId = string.IsNullOrWhiteSpace(first.StreamId) ? $"stream-{Guid.NewGuid():N}"[..15] : first.StreamId;
        if (streamId.Length > 128)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "stream_id is longer than 128 characters."));
        }

        var mode = first.Backpressure == Backpressure.Block ? BackpressureMode.Block : BackpressureMode.Latest;
        using var session = _pipeline.Pipeline.OpenStream(streamId, mode)
            ?? throw new RpcException(new Status(StatusCode.ResourceExhausted, "too many concurrent streams (InferenceServer:Pipeline:MaxStreams)."));
        LogStreamOpened(_logger, streamId, mode.ToString(), model.Name, model.Version);

        var writer = WriteResultsAsync(session, responseStream, streamId, ct);
        try
        {
            var frame = first;
            while (true)
            {
                if (frame.Options is not null && !ReferenceEquals(frame, first))
                {
                    // Later frames may change thresholds for themselves and what follows (not the model).
                    var (updated, updateError) = DetectOptionsMapper.Map(frame.Options, model);
                    options = updated ?? throw new RpcException(new Status(StatusCode.InvalidArgument, updateError!));
                }

                var request = ProtoMapping.ToRequest(frame.Image, model, options, session);
                request.Sequence = frame.Sequence;
                request.CaptureTimeUnixNanos = frame.CaptureTimeUnixNanos;
                if (frame.DeadlineUnixNanos > 0)
                {
                    request.DeadlineUtcTicks = DateTime.UnixEpoch.Ticks + (frame.DeadlineUnixNanos / 100);
                }

                await session.EnqueueAsync(request, ct);
                if (!await requestStream.MoveNext(ct))
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

    private static async Task WriteResultsAsync(StreamSession session, IServerStreamWriter<FrameResult> responses, string streamId, CancellationToken ct)
    {
        double fps = 0;
        long last = Stopwatch.GetTimestamp();
        try
        {
            await foreach (var outcome in session.Results.ReadAllAsync(ct))
            {
                await responses.WriteAsync(ProtoMapping.ToFrameResult(outcome, streamId), ct);
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

    private DetectionModel Resolve(DetectOptions? options)
    {
        if (!_models.IsReady)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, _models.LoadError ?? "the default model is still loading"));
        }

        return _models.Find(options?.Model, options?.Version)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"model '{options?.Model}' version '{(string.IsNullOrEmpty(options?.Version) ? "any" : options.Version)}' is not loaded"));
    }

    [LoggerMessage(30, LogLevel.Information, "Stream {Stream} opened ({Mode}) on {Model} v{Version}")]
    private static partial void LogStreamOpened(ILogger logger, string stream, string mode, string model, string version);

    [LoggerMessage(31, LogLevel.Information, "Stream {Stream} closed, {Dropped} frame(s) dropped")]
    private static partial void LogStreamClosed(ILogger logger, string stream, long dropped);
}
