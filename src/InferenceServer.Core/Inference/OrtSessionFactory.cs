using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace InferenceServer.Core.Inference;

/// <summary>Creates ONNX Runtime sessions with the configured execution provider.</summary>
internal static class OrtSessionFactory
{
    /// <summary>Creates a session; for <see cref="ExecutionProvider.Auto"/> falls back to CPU when CUDA cannot be created.</summary>
    /// <returns>The session and the provider actually used.</returns>
    public static (InferenceSession Session, ExecutionProvider Provider) Create(
        string modelPath, SessionSettings settings, string modelName, ILogger logger)
    {
        switch (settings.Provider)
        {
            case ExecutionProvider.Cpu:
                Log.ProviderChosen(logger, modelName, "cpu", "configured");
                return (NewSession(modelPath, settings, ExecutionProvider.Cpu), ExecutionProvider.Cpu);
            case ExecutionProvider.Cuda:
            case ExecutionProvider.TensorRt:
                // Explicitly requested GPU providers fail loudly rather than silently running on CPU.
                var gpu = NewSession(modelPath, settings, settings.Provider);
                Log.ProviderChosen(logger, modelName, settings.Provider == ExecutionProvider.Cuda ? "cuda" : "tensorrt", "configured");
                return (gpu, settings.Provider);
            default:
                try
                {
                    var session = NewSession(modelPath, settings, ExecutionProvider.Cuda);
                    Log.ProviderChosen(logger, modelName, "cuda", "auto: CUDA provider created");
                    return (session, ExecutionProvider.Cuda);
                }
                catch (Exception ex) when (ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
                {
                    string reason = FirstLine(ex.Message);
                    Log.ProviderChosen(logger, modelName, "cpu", $"auto: CUDA unavailable: {reason}");
                    return (NewSession(modelPath, settings, ExecutionProvider.Cpu), ExecutionProvider.Cpu);
                }
        }
    }

    private static InferenceSession NewSession(string modelPath, SessionSettings settings, ExecutionProvider provider)
    {
        // The session copies what it needs from the options. Loading by path lets external data resolve
        // relative to the model's folder (the registry has checked it stays inside).
        using var options = CreateOptions(settings, provider);
        return new InferenceSession(modelPath, options);
    }

    private static SessionOptions CreateOptions(SessionSettings settings, ExecutionProvider provider)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            IntraOpNumThreads = settings.IntraOpThreads,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            switch (provider)
            {
                case ExecutionProvider.TensorRt:
                    options.AppendExecutionProvider_Tensorrt(settings.DeviceId);
                    options.AppendExecutionProvider_CUDA(settings.DeviceId);
                    break;
                case ExecutionProvider.Cuda:
                    options.AppendExecutionProvider_CUDA(settings.DeviceId);
                    break;
            }
        }
        catch
        {
            options.Dispose();
            throw;
        }

        return options;
    }

    private static string FirstLine(string message)
    {
        int nl = message.IndexOf('\n', StringComparison.Ordinal);
        return (nl < 0 ? message : message[..nl]).Trim();
    }
}
