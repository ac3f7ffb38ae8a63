using InferenceServer.Core.Inference;

namespace InferenceServer.Core.Pipeline;

/// <summary>The end of one frame's trip: detections (or a raw output tensor), or an error.</summary>
internal sealed class FrameOutcome
{
    public required FrameRequest Request { get; init; }

    public DetectionResult? Result { get; init; }

    /// <summary>Raw model output for tensor requests (KServe ModelInfer).</summary>
    public float[]? RawOutput { get; init; }

    public FrameErrorCode? Error { get; init; }

    public string? ErrorMessage { get; init; }

    /// <summary>Dropped frames of the stream when this outcome was produced.</summary>
    public long DroppedFrames { get; init; }

    public static FrameOutcome Failed(FrameRequest request, FrameErrorCode code, string message) =>
        new() { Request = request, Error = code, ErrorMessage = message };
}
