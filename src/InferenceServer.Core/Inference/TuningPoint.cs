namespace InferenceServer.Core.Inference;

/// <summary>One measured configuration of the auto-tuner.</summary>
internal sealed record TuningPoint(int Instances, int Threads, int MaxBatch, double FramesPerSecond, double BatchP50Ms);
