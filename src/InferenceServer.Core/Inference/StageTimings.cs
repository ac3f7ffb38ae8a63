namespace InferenceServer.Core.Inference;

/// <summary>Milliseconds spent in each stage of one frame.</summary>
internal readonly record struct StageTimings(
    double QueueMs, double DecodeMs, double PreprocessMs, double InferenceMs, double PostprocessMs, double TotalMs);
