using System.Text.Json;
using System.Text.Json.Serialization;

namespace InferenceServer.Core.Training.Datasets;

/// <summary>JSON of the dataset log, versions and job files: snake_case, one object per line where appended.</summary>
internal static class DatasetJson
{
    public static JsonSerializerOptions Line { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
