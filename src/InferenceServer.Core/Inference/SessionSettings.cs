namespace InferenceServer.Core.Inference;

/// <summary>How a model's ONNX Runtime sessions are created.</summary>
public sealed class SessionSettings
{
    /// <summary>Execution provider.</summary>
    public ExecutionProvider Provider { get; set; } = ExecutionProvider.Auto;

    /// <summary>GPU ordinal for CUDA/TensorRT.</summary>
    public int DeviceId { get; set; }

    /// <summary>Threads per session for one operator; 0 lets ONNX Runtime choose (one per core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Parallel sessions of the model; each runs one batch at a time.</summary>
    public int Instances { get; set; } = 1;

    /// <summary>Largest batch for models with a dynamic batch axis (fixed-batch models use their own size).</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>At load, measure a short grid of instances × intra-op threads × max batch and keep the best.</summary>
    public bool AutoTune { get; set; }

    /// <summary>Auto-tuning only picks configurations whose median batch latency stays within this bound.</summary>
    public double AutoTuneLatencyBoundMs { get; set; } = 100;

    /// <summary>Measurement time per configuration while auto-tuning.</summary>
    public double AutoTuneSecondsPerConfig { get; set; } = 0.6;

    /// <summary>A copy with other instance/thread/batch values.</summary>
    public SessionSettings With(int instances, int threads, int maxBatch) => new()
    {
        Provider = Provider,
        DeviceId = DeviceId,
        IntraOpThreads = threads,
        Instances = instances,
        MaxBatchSize = maxBatch,
        AutoTune = false,
        AutoTuneLatencyBoundMs = AutoTuneLatencyBoundMs,
        AutoTuneSecondsPerConfig = AutoTuneSecondsPerConfig,
    };

    /// <summary>Returns an error naming the bad property, or null.</summary>
    public string? Validate()
    {
        if (DeviceId < 0)
        {
            return $"DeviceId must be >= 0 (got {DeviceId}).";
        }

        if (IntraOpThreads < 0 || IntraOpThreads > 256)
        {
            return $"IntraOpThreads must be within [0, 256] (got {IntraOpThreads}).";
        }

        if (Instances < 1 || Instances > 64)
        {
            return $"Instances must be within [1, 64] (got {Instances}).";
        }

        if (MaxBatchSize < 1 || MaxBatchSize > 256)
        {
            return $"MaxBatchSize must be within [1, 256] (got {MaxBatchSize}).";
        }

        if (AutoTuneLatencyBoundMs <= 0 || AutoTuneSecondsPerConfig <= 0 || AutoTuneSecondsPerConfig > 60)
        {
            return $"AutoTuneLatencyBoundMs must be positive and AutoTuneSecondsPerConfig within (0, 60] (got {AutoTuneLatencyBoundMs}, {AutoTuneSecondsPerConfig}).";
        }

        return null;
    }
}
