using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Inference;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Execution provider for {Model}: {Provider} ({Reason})")]
    public static partial void ProviderChosen(ILogger logger, string model, string provider, string reason);

    [LoggerMessage(2, LogLevel.Information, "Loaded {Model} v{Version}: input {Input} [{Shape}] {Width}x{Height}, batch {Batch}, decoder {Decoder}, {Classes} classes, {Instances} instance(s), warm-up {WarmupMs:F1} ms")]
    public static partial void ModelLoaded(ILogger logger, string model, string version, string input, string shape, int width, int height, string batch, string decoder, int classes, int instances, double warmupMs);

    [LoggerMessage(3, LogLevel.Information, "Auto-tuned {Model}: {Instances} instance(s) x {Threads} thread(s), max batch {Batch}: {Fps:F1} frames/s, p50 {P50:F1} ms per batch (best of {Count} configurations: {BestFps:F1} frames/s)")]
    public static partial void AutoTuned(ILogger logger, string model, int instances, int threads, int batch, double fps, double p50, double bestFps, int count);
}
