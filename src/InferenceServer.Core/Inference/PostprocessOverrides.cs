using InferenceServer.Core.Detection;

namespace InferenceServer.Core.Inference;

/// <summary>
/// What a request or feed changes of a model's default thresholds; every API parses its own syntax into this
/// and words its own errors.
/// </summary>
internal readonly record struct PostprocessOverrides(
    float? ConfidenceThreshold = null, float? IouThreshold = null, int? MaxDetections = null, bool? Agnostic = null, IEnumerable<string>? Classes = null)
{
    /// <summary>The model's defaults with these applied, or null with <paramref name="unknownClass"/> set when the
    /// class filter names something the model does not have. Range checks are left to <see cref="PostprocessOptions.Validate"/>.</summary>
    public PostprocessOptions? ApplyTo(DetectionModel model, out string? unknownClass)
    {
        unknownClass = null;
        var options = model.Defaults;
        if (ConfidenceThreshold is float c)
        {
            options = options with { ConfidenceThreshold = c };
        }

        if (IouThreshold is float i)
        {
            options = options with { IouThreshold = i };
        }

        if (MaxDetections is int m)
        {
            options = options with { MaxDetections = m };
        }

        if (Agnostic is bool a)
        {
            options = options with { Agnostic = a };
        }

        if (Classes is not null && Classes.Any())
        {
            var ids = model.ResolveClasses(Classes, out unknownClass);
            if (ids is null)
            {
                return null;
            }

            options = options with { ClassFilter = ids };
        }

        return options;
    }
}
