namespace InferenceServer.Core.Training.Jobs;

/// <summary>What an operator asks for: fine-tune a model on a dataset version, adding categories.</summary>
public sealed class JobRequest
{
    public string Model { get; set; } = "";

    /// <summary>Version or alias to start from; empty for the serving version.</summary>
    public string? BaseVersion { get; set; }

    public string Dataset { get; set; } = "";

    /// <summary>Dataset version; null freezes the dataset as it is now into a new version.</summary>
    public int? DatasetVersion { get; set; }

    /// <summary>The categories this job adds (must be labelled in the dataset); existing ones keep working.</summary>
    public List<string> Categories { get; set; } = [];

    /// <summary>"process" (default: models/training) or "webhook" (an external pipeline).</summary>
    public string Trainer { get; set; } = "process";

    public int Epochs { get; set; } = 30;

    public int Batch { get; set; } = 8;

    public double LearningRate { get; set; } = 3e-3;

    /// <summary>Promote to production (zero-downtime swap) when the gate passes.</summary>
    public bool Promote { get; set; }

    /// <summary>Gate: AP@0.5 every new category must reach on the held-out split (null: the server's default).</summary>
    public double? MinNewAp { get; set; }

    /// <summary>Gate: how much AP@0.5 an existing category may lose against the serving version (null: default).</summary>
    public double? MaxOldDrop { get; set; }

    public string? Validate()
    {
        if (Trainer is not ("process" or "webhook"))
        {
            return $"trainer must be 'process' or 'webhook' (got '{Trainer}').";
        }

        if (Epochs is < 1 or > 1000 || Batch is < 1 or > 256 || !(LearningRate > 0 && LearningRate < 1))
        {
            return "epochs must be within [1, 1000], batch within [1, 256], learning_rate within (0, 1).";
        }

        if (MinNewAp is double a && !(a >= 0 && a <= 1))
        {
            return $"min_new_ap must be within [0, 1] (got {a}).";
        }

        if (MaxOldDrop is double d && !(d >= 0 && d <= 1))
        {
            return $"max_old_drop must be within [0, 1] (got {d}).";
        }

        return Categories.Count == 0 ? "categories: name at least one category to add." : null;
    }
}
