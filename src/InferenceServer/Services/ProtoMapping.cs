using InferenceServer.Core.Inference;
using InferenceServer.Core.Pipeline;
using InferenceServer.Protos.Detection.V1;
using ProtoDetection = InferenceServer.Protos.Detection.V1.Detection;
using ProtoPixelFormat = InferenceServer.Protos.Detection.V1.PixelFormat;

namespace InferenceServer.Services;

/// <summary>Between pipeline types and detection.v1 messages.</summary>
internal static class ProtoMapping
{
    public static Protos.Detection.V1.StageTimings ToProto(Core.Inference.StageTimings t) => new()
    {
        QueueMs = t.QueueMs,
        DecodeMs = t.DecodeMs,
        PreprocessMs = t.PreprocessMs,
        InferenceMs = t.InferenceMs,
        PostprocessMs = t.PostprocessMs,
        TotalMs = t.TotalMs,
    };

    public static void AddDetections(Google.Protobuf.Collections.RepeatedField<ProtoDetection> target, DetectionResult result)
    {
        foreach (var d in result.Detections)
        {
            target.Add(new ProtoDetection
            {
                Label = d.Label,
                ClassId = d.ClassId,
                Score = d.Score,
                Box = new Box { X1 = d.X1, Y1 = d.Y1, X2 = d.X2, Y2 = d.Y2 },
            });
        }
    }

    public static FrameResult ToFrameResult(FrameOutcome outcome, string streamId)
    {
        var request = outcome.Request;
        var result = new FrameResult
        {
            StreamId = streamId,
            Sequence = request.Sequence,
            CaptureTimeUnixNanos = request.CaptureTimeUnixNanos,
            Model = request.Model.Name,
            Version = request.Model.Version,
            DroppedFrames = (ulong)outcome.DroppedFrames,
        };
        if (outcome.Result is { } r)
        {
            result.Width = r.ImageWidth;
            result.Height = r.ImageHeight;
            result.Timings = ToProto(r.Timings);
            AddDetections(result.Detections, r);
        }
        else
        {
            result.Error = new FrameError { Code = ErrorCode(outcome.Error ?? FrameErrorCode.Internal), Message = outcome.ErrorMessage ?? "failed" };
        }

        return result;
    }

    public static Grpc.Core.StatusCode StatusOf(FrameErrorCode code) => code switch
    {
        FrameErrorCode.InvalidArgument or FrameErrorCode.TooLarge => Grpc.Core.StatusCode.InvalidArgument,
        FrameErrorCode.DeadlineExceeded => Grpc.Core.StatusCode.DeadlineExceeded,
        FrameErrorCode.NotFound => Grpc.Core.StatusCode.NotFound,
        FrameErrorCode.Unavailable => Grpc.Core.StatusCode.Unavailable,
        _ => Grpc.Core.StatusCode.Internal,
    };

    /// <summary>The gRPC status name in the wire style (INVALID_ARGUMENT), for per-frame errors in a stream.</summary>
    public static string ErrorCode(FrameErrorCode code) =>
        System.Text.RegularExpressions.Regex.Replace(StatusOf(code).ToString(), "(?<=[a-z])(?=[A-Z])", "_").ToUpperInvariant();

    /// <summary>Builds the pipeline request for an image message (empty image: fails in order, as a bad image).</summary>
    public static FrameRequest ToRequest(Image? image, DetectionModel model, Core.Detection.PostprocessOptions options, StreamSession? stream)
    {
        if (image?.KindCase == Image.KindOneofCase.Raw)
        {
            var raw = image.Raw;
            var format = raw.Format switch
            {
                ProtoPixelFormat.Bgr24 => Core.Imaging.PixelFormat.Bgr24,
                ProtoPixelFormat.Rgb24 => Core.Imaging.PixelFormat.Rgb24,
                ProtoPixelFormat.Gray8 => Core.Imaging.PixelFormat.Gray8,
                ProtoPixelFormat.Nv12 => Core.Imaging.PixelFormat.Nv12,
                ProtoPixelFormat.I420 => Core.Imaging.PixelFormat.I420,
                _ => (Core.Imaging.PixelFormat)(-1),
            };
            return FrameRequest.ForRaw(model, options, new RawFrame(raw.Data.Memory, format, raw.Width, raw.Height, raw.Stride), stream);
        }

        var bytes = image?.KindCase == Image.KindOneofCase.Encoded ? image.Encoded.Memory : ReadOnlyMemory<byte>.Empty;
        return FrameRequest.ForEncoded(model, options, bytes, stream);
    }
}
