namespace InferenceServer.Core.Inference;

/// <summary>One measured configuration of the auto-tuner.</summary>
internal sealed record TuningPoint(int Instances, int Threads, int MaxBatch, double FramesPerSecond, double BatchP50Ms);

/// <summary>What auto-tuning measured and chose.</summary>
internal sealed record TuningResult(TuningPoint Chosen, TuningPoint BestOverall, IReadOnlyList<TuningPoint> Grid, double LatencyBoundMs);
