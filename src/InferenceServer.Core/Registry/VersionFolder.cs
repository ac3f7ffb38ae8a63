namespace InferenceServer.Core.Registry;

/// <summary>
/// Decides when a version folder is complete, so a partially copied folder never loads. Complete means
/// <c>model.onnx</c> is present and either <c>manifest.json</c> or an empty <c>READY</c> marker exists (writers put
/// these last), or — for a folder holding only the ONNX file — no file in it changed for the settle period.
/// </summary>
internal static class VersionFolder
{
    public const string ModelFile = "model.onnx";
    public const string ReadyMarker = "READY";

    public static bool IsComplete(string directory, TimeSpan settle, DateTime nowUtc)
    {
        string model = Path.Combine(directory, ModelFile);
        if (!File.Exists(model))
        {
            return false;
        }

        if (File.Exists(Path.Combine(directory, ModelManifest.FileName)) || File.Exists(Path.Combine(directory, ReadyMarker)))
        {
            return true;
        }

        var newest = Directory.EnumerateFiles(directory).Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MaxValue).Max();
        return nowUtc - newest >= settle;
    }

    /// <summary>What changes when the folder's files change (a failed version is retried only then).</summary>
    public static string Stamp(string directory)
    {
        var parts = Directory.Exists(directory)
            ? Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal)
                .Select(f => $"{Path.GetFileName(f)}:{new FileInfo(f).Length}:{File.GetLastWriteTimeUtc(f).Ticks}")
            : [];
        return string.Join('|', parts);
    }
}
