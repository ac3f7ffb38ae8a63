using InferenceServer.Core.Detection;
using InferenceServer.Core.Inference;
using InferenceServer.Protos.Detection.V1;

namespace InferenceServer.Services;

/// <summary>detection.v1 options → thresholds, starting from the model's defaults.</summary>
internal static class DetectOptionsMapper
{
    /// <returns>The options, or an error naming the bad field.</returns>
    public static (PostprocessOptions? Options, string? Error) Map(DetectOptions? request, DetectionModel model)
    {
        if (request is null)
        {
            return (model.Defaults, null);
        }

        var options = new PostprocessOverrides(
            request.HasConfidenceThreshold ? request.ConfidenceThreshold : null,
            request.HasIouThreshold ? request.IouThreshold : null,
            request.HasMaxDetections ? request.MaxDetections : null,
            request.AgnosticNms,
            request.Classes).ApplyTo(model, out string? unknown);
        if (options is null)
        {
            return (null, $"options.classes: '{unknown}' is neither a label nor a class id of model '{model.Name}'.");
        }

        return options.Validate() is string error ? (null, "options: " + error) : (options, null);
    }
}
