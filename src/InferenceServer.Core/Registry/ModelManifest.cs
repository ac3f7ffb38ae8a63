using System.Text.Json;
using System.Text.Json.Nodes;

namespace InferenceServer.Core.Registry;

/// <summary>
/// <c>manifest.json</c> beside a version's <c>model.onnx</c>. Every field is optional: what is missing is
/// inferred from the ONNX file (shape, Ultralytics metadata) or a <c>labels.txt</c>/<c>*.names</c> file.
/// </summary>
internal sealed class ModelManifest
{
    public const string FileName = "manifest.json";


    /// <summary>Output decoder: yolov8, yolov5, yolox, yolox_decoded, end2end or rtdetr.</summary>
    public string? Decoder { get; set; }

    /// <summary>Class names in index order.</summary>
    public List<string>? Labels { get; set; }

    public int? InputWidth { get; set; }

    public int? InputHeight { get; set; }

    /// <summary>Input convention: ultralytics, yolox or rtdetr.</summary>
    public string? Preprocess { get; set; }

    public float? ConfidenceThreshold { get; set; }

    public float? IouThreshold { get; set; }

    public int? MaxDetections { get; set; }

    /// <summary>How the model was made (command, seed, data, time).</summary>
    public JsonObject? Provenance { get; set; }

    /// <summary>Measured quality (AP per class, mean).</summary>
    public JsonObject? Metrics { get; set; }

    public static ModelManifest Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelManifest>(json, RegistryJson.Options)
                ?? throw new InvalidDataException("The manifest is empty (null).");
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Invalid manifest JSON: {ex.Message}", ex);
        }
    }

    public static ModelManifest? LoadOptional(string versionDirectory)
    {
        string path = Path.Combine(versionDirectory, FileName);
        return File.Exists(path) ? Parse(File.ReadAllText(path)) : null;
    }

    public string ToJson() => JsonSerializer.Serialize(this, RegistryJson.Options);
}
