using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using InferenceServer.Core.Imaging;

namespace InferenceServer.Core.Training.Datasets;

/// <summary>All datasets under one folder (&lt;data&gt;/datasets/&lt;name&gt;/), opened on first use.</summary>
internal sealed partial class DatasetStore
{
    private readonly string _root;
    private readonly ImageLimits _limits;
    private readonly ConcurrentDictionary<string, Lazy<Dataset>> _open = new(StringComparer.Ordinal);

    public DatasetStore(string root, ImageLimits limits)
    {
        _root = root;
        _limits = limits;
        Directory.CreateDirectory(root);
    }

    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>The dataset (created on first write when <paramref name="create"/>); throws for bad or unknown names.</summary>
    public Dataset Get(string name, bool create)
    {
        if (!IsValidName(name))
        {
            throw new DatasetException($"dataset name '{name}' is invalid (letters, digits, '.', '_' or '-', at most 64, not starting with '.').");
        }

        string dir = Path.Combine(_root, name);
        if (!create && !Directory.Exists(dir))
        {
            throw new DatasetException($"dataset '{name}' does not exist.", notFound: true);
        }

        return _open.GetOrAdd(name, n => new Lazy<Dataset>(() => Dataset.Open(n, Path.Combine(_root, n), _limits))).Value;
    }

    public IReadOnlyList<DatasetSummary> List() =>
        Directory.EnumerateDirectories(_root)
            .Select(Path.GetFileName)
            .Where(IsValidName)
            .Order(StringComparer.Ordinal)
            .Select(n => Get(n!, create: false).Summary())
            .ToArray();

    [GeneratedRegex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();
}
