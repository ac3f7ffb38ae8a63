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
        var options = model.Defaults;
        if (request is null)
        {
            return (options, null);
        }

        if (request.HasConfidenceThreshold)
        {
            options = options with { ConfidenceThreshold = request.ConfidenceThreshold };
        }

        if (request.HasIouThreshold)
        {
            options = options with { IouThreshold = request.IouThreshold };
        }

        if (request.HasMaxDetections)
        {
            options = options with { MaxDetections = request.MaxDetections };
        }

        options = options with { Agnostic = request.AgnosticNms };
        if (request.Classes.Count > 0)
        {
            var ids = model.ResolveClasses(request.Classes, out string? unknown);
            if (ids is null)
            {
                return (null, $"options.classes: '{unknown}' is neither a label nor a class id of model '{model.Name}'.");
            }

            options = options with { ClassFilter = ids };
        }

        return options.Validate() is string error ? (null, "options: " + error) : (options, null);
    }
}
