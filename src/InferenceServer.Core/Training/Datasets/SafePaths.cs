namespace InferenceServer.Core.Training.Datasets;

/// <summary>Paths taken from uploaded files (zip entries, COCO file names) stay inside their folder.</summary>
internal static class SafePaths
{
    /// <summary>The full path of <paramref name="relative"/> under <paramref name="root"/>, or null when it would leave it.</summary>
    public static string? Resolve(string root, string relative)
    {
        if (string.IsNullOrWhiteSpace(relative) || Path.IsPathRooted(relative) || relative.Contains('\0', StringComparison.Ordinal)
            || relative.Replace('\\', '/').Split('/').Any(part => part == ".."))
        {
            return null;
        }

        string full = Path.GetFullPath(Path.Combine(root, relative));
        string prefix = Path.GetFullPath(root).TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        return full.StartsWith(prefix, StringComparison.Ordinal) ? full : null;
    }
}
