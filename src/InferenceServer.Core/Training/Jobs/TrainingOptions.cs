using InferenceServer.Core.Inference;

namespace InferenceServer.Core.Training.Jobs;

/// <summary>How retraining runs here (bound by the host from InferenceServer:Training).</summary>
internal sealed record TrainingOptions
{
    /// <summary>The process trainer's command; {data} {out} {weights} {epochs} {batch} {lr} are replaced
    /// ("--weights {weights}" is dropped when the base version has no checkpoint).</summary>
    public required IReadOnlyList<string> Command { get; init; }

    /// <summary>Working directory of the process trainer (relative script paths resolve here).</summary>
    public required string WorkingDirectory { get; init; }

    public string? WebhookUrl { get; init; }

    /// <summary>Base URL the external pipeline reaches this server at (dataset download, model delivery).</summary>
    public required Func<string> CallbackBaseUrl { get; init; }

    public TimeSpan WebhookTimeout { get; init; } = TimeSpan.FromHours(24);

    public double MinNewAp { get; init; } = 0.7;

    public double MaxOldDrop { get; init; } = 0.05;

    /// <summary>Sessions for evaluating candidates (production is evaluated as it serves).</summary>
    public required SessionSettings EvaluationSession { get; init; }
}
