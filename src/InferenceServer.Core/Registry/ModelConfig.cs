using System.Text.Json;

namespace InferenceServer.Core.Registry;

/// <summary>
/// <c>&lt;repo&gt;/&lt;model&gt;/config.json</c>: which versions to serve and the named aliases. Written atomically
/// (temporary file, then rename) whenever an alias changes.
/// </summary>
internal sealed class ModelConfig
{
    public const string FileName = "config.json";


    /// <summary>How many of the newest complete versions to keep loaded (Triton's version_policy latest: N).</summary>
    public int LatestVersions { get; set; } = 1;

    /// <summary>Alias → version ("production", "candidate", or any name). Requests may name an alias instead of a version.</summary>
    public Dictionary<string, string> Aliases { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Production versions in the order they were promoted, newest last (for rollback).</summary>
    public List<string> History { get; set; } = [];

    public static ModelConfig Load(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, FileName);
        if (!File.Exists(path))
        {
            return new ModelConfig();
        }

        try
        {
            var config = JsonSerializer.Deserialize<ModelConfig>(File.ReadAllText(path), RegistryJson.Options) ?? new ModelConfig();
            config.Aliases = new Dictionary<string, string>(config.Aliases ?? [], StringComparer.Ordinal);
            config.History ??= [];
            return config;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"invalid {FileName} in '{modelDirectory}': {ex.Message}", ex);
        }
    }

    public void Save(string modelDirectory)
    {
        string path = Path.Combine(modelDirectory, FileName);
        string temp = path + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(this, RegistryJson.Options));
        File.Move(temp, path, overwrite: true);
    }
}
