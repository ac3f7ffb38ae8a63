using System.Text.Json;
using System.Text.Json.Serialization;

namespace InferenceServer.Core.Registry;

/// <summary>How the registry's JSON files (manifest.json, config.json) are read and written.</summary>
internal static class RegistryJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };
}
