namespace InferenceServer.Core.Inference;

/// <summary>What auto-tuning measured and chose.</summary>
internal sealed record TuningResult(TuningPoint Chosen, TuningPoint BestOverall, IReadOnlyList<TuningPoint> Grid, double LatencyBoundMs);
