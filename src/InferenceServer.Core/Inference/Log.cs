using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Inference;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "Execution provider for {Model}: {Provider} ({Reason})")]
    public static partial void ProviderChosen(ILogger logger, string model, string provider, string reason);

    [LoggerMessage(2, LogLevel.Information, "Loaded {Model} v{Version}: input {Input} [{Shape}] {Width}x{Height}, batch {Batch}, decoder {Decoder}, {Classes} classes, {Instances} instance(s), warm-up {WarmupMs:F1} ms")]
    public static partial void ModelLoaded(ILogger logger, string model, string version, string input, string shape, int width, int height, string batch, string decoder, int classes, int instances, double warmupMs);
}
