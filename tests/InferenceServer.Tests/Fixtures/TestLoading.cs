using InferenceServer.Core.Inference;
using InferenceServer.Core.Registry;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceServer.Tests.Fixtures;

/// <summary>Loads models the way the server does, on CPU with settings that suit a 2-core test machine.</summary>
internal static class TestLoading
{
    public static SessionSettings CpuSettings(int instances = 1, int maxBatch = 4, int threads = 1) => new()
    {
        Provider = ExecutionProvider.Cpu,
        IntraOpThreads = threads,
        Instances = instances,
        MaxBatchSize = maxBatch,
    };

    public static DetectionModel Load(byte[] onnx, TempDirectory dir, string? manifestJson = null, SessionSettings? settings = null)
    {
        string path = dir.File($"m{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, onnx);
        var manifest = manifestJson is null ? null : ModelManifest.Parse(manifestJson);
        return ModelLoader.Load(path, manifest, settings ?? CpuSettings(), "test", "1", NullLogger.Instance);
    }
}
