namespace InferenceServer.Tests.Fixtures;

/// <summary>The committed default model (shapes v1 with its checkpoint and manifest) copied into a test repository.</summary>
internal static class ShapesRepository
{
    public static readonly string VersionDir = Path.Combine(RepoPaths.Root, "models", "repository", "shapes", "1");

    public static void CopyTo(string repo)
    {
        string target = Path.Combine(repo, "shapes", "1");
        Directory.CreateDirectory(target);
        foreach (var file in new[] { "model.onnx", "checkpoint.pt", "manifest.json" })
        {
            File.Copy(Path.Combine(VersionDir, file), Path.Combine(target, file));
        }
    }
}
