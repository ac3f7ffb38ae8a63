namespace InferenceServer.Core.Inference;

/// <summary>Reads class names from <c>labels.txt</c> or a <c>*.names</c> file next to a model, one per line.</summary>
internal static class LabelFile
{
    public static IReadOnlyList<string>? FindBeside(string modelPath)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(modelPath));
        if (dir is null)
        {
            return null;
        }

        string candidate = Path.Combine(dir, "labels.txt");
        if (!File.Exists(candidate))
        {
            candidate = Path.ChangeExtension(Path.GetFullPath(modelPath), ".names");
        }

        if (!File.Exists(candidate))
        {
            candidate = Directory.EnumerateFiles(dir, "*.names").Order(StringComparer.Ordinal).FirstOrDefault() ?? string.Empty;
        }

        if (candidate.Length == 0 || !File.Exists(candidate))
        {
            return null;
        }

        var names = File.ReadAllLines(candidate).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        return names.Length == 0 ? null : names;
    }
}
