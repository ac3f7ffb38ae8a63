using System.Globalization;
using InferenceServer.Core.Detection;
using InferenceServer.Core.Inference;

namespace InferenceServer.Endpoints;

/// <summary>Per-request thresholds from query parameters, starting from the model's defaults.</summary>
internal static class RequestOptionsParser
{
    /// <returns>The options, or an error message naming the bad parameter.</returns>
    public static (PostprocessOptions? Options, string? Error) Parse(IQueryCollection query, DetectionModel model)
    {
        var options = model.Defaults;
        if (query.TryGetValue("conf", out var conf))
        {
            if (!float.TryParse(conf, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
            {
                return (null, $"query parameter 'conf' must be a number (got '{conf}').");
            }

            options = options with { ConfidenceThreshold = v };
        }

        if (query.TryGetValue("iou", out var iou))
        {
            if (!float.TryParse(iou, NumberStyles.Float, CultureInfo.InvariantCulture, out float v))
            {
                return (null, $"query parameter 'iou' must be a number (got '{iou}').");
            }

            options = options with { IouThreshold = v };
        }

        if (query.TryGetValue("max_det", out var maxDet))
        {
            if (!int.TryParse(maxDet, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            {
                return (null, $"query parameter 'max_det' must be an integer (got '{maxDet}').");
            }

            options = options with { MaxDetections = v };
        }

        if (query.TryGetValue("agnostic", out var agnostic))
        {
            if (!bool.TryParse(agnostic, out bool v))
            {
                return (null, $"query parameter 'agnostic' must be true or false (got '{agnostic}').");
            }

            options = options with { Agnostic = v };
        }

        if (query.TryGetValue("classes", out var classes))
        {
            var ids = model.ResolveClasses(classes.ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), out string? unknown);
            if (ids is null)
            {
                return (null, $"query parameter 'classes': '{unknown}' is neither a class id nor a label of model '{model.Name}'.");
            }

            options = options with { ClassFilter = ids };
        }

        return options.Validate() is string error ? (null, error) : (options, null);
    }
}
