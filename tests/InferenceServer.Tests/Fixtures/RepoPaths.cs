namespace InferenceServer.Tests.Fixtures;

/// <summary>Locates the repository root and the shared assets beside it (../shared).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>The shared assets folder, or null when this checkout has none beside it.</summary>
    public static string? Shared
    {
        get
        {
            string path = Path.GetFullPath(Path.Combine(Root, "..", "shared"));
            return Directory.Exists(Path.Combine(path, "models")) ? path : null;
        }
    }

    /// <summary>A file under ../shared, or null (the caller skips with a clear message).</summary>
    public static string? SharedFile(string relative)
    {
        var shared = Shared;
        if (shared is null)
        {
            return null;
        }

        string path = Path.Combine(shared, relative);
        return File.Exists(path) ? path : null;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "InferenceServer.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Cannot find InferenceServer.sln above " + AppContext.BaseDirectory);
    }
}
