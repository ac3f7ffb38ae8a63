using InferenceServer.Core.Inference;

namespace InferenceServer.Core.Registry;

/// <summary>Keeps a model version alive while a frame uses it; dispose exactly once when the frame is done.</summary>
internal sealed class ModelLease : IDisposable
{
    private LoadedVersion? _version;

    public ModelLease(LoadedVersion version)
    {
        _version = version;
        Model = version.Model;
    }

    public DetectionModel Model { get; }

    public void Dispose() => Interlocked.Exchange(ref _version, null)?.Release();
}
