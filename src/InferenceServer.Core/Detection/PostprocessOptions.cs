namespace InferenceServer.Core.Detection;

/// <summary>Thresholds for turning raw outputs into detections.</summary>
internal sealed record PostprocessOptions
{
    public static PostprocessOptions Default { get; } = new();

    public float ConfidenceThreshold { get; init; } = 0.25f;

    public float IouThreshold { get; init; } = 0.45f;

    public int MaxDetections { get; init; } = 300;

    /// <summary>Suppress overlapping boxes across classes too.</summary>
    public bool Agnostic { get; init; }

    /// <summary>When not null, only these class ids are reported.</summary>
    public IReadOnlySet<int>? ClassFilter { get; init; }

    /// <summary>Checks ranges; returns an error message naming the field, or null.</summary>
    public string? Validate()
    {
        if (!(ConfidenceThreshold >= 0 && ConfidenceThreshold <= 1))
        {
            return $"confidence threshold must be within [0, 1] (got {ConfidenceThreshold}).";
        }

        if (!(IouThreshold >= 0 && IouThreshold <= 1))
        {
            return $"IoU threshold must be within [0, 1] (got {IouThreshold}).";
        }

        if (MaxDetections < 1 || MaxDetections > 10_000)
        {
            return $"max detections must be within [1, 10000] (got {MaxDetections}).";
        }

        return null;
    }
}
