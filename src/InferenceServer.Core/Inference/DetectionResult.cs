namespace InferenceServer.Core.Inference;

/// <summary>The detections of one frame, the model version that produced them, and stage timings.</summary>
internal sealed record DetectionResult(
    string Model, string Version, int ImageWidth, int ImageHeight, IReadOnlyList<LabeledDetection> Detections, StageTimings Timings);
