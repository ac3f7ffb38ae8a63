using OpenCvSharp;

namespace InferenceServer.Core.Imaging;

/// <summary>
/// Per-worker reusable native buffer for the resized frame. OpenCV reuses a destination
/// <see cref="Mat"/> whose size and type already match, so steady-state resizing allocates nothing.
/// </summary>
internal sealed class PreprocessScratch : IDisposable
{
    public Mat Resized { get; } = new();

    public void Dispose() => Resized.Dispose();
}
