namespace InferenceServer.Core.Training.Jobs;

/// <summary>A retraining job as stored in jobs/&lt;id&gt;/job.json (survives restarts).</summary>
internal sealed record RetrainJob
{
    public required string Id { get; init; }

    public required JobRequest Request { get; init; }

    /// <summary>The concrete base version resolved when the job was created.</summary>
    public required string BaseVersion { get; init; }

    public required int DatasetVersion { get; init; }

    public JobState State { get; init; }

    public JobProgress? Progress { get; init; }

    public string? Error { get; init; }

    public GateReport? Report { get; init; }

    /// <summary>The registered version when the gate passed.</summary>
    public string? ResultVersion { get; init; }

    public bool Promoted { get; init; }

    /// <summary>Webhook trainer: the secret the external pipeline presents to fetch the dataset and deliver the model.</summary>
    public string? CallbackToken { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public bool IsFinished => State is JobState.Succeeded or JobState.Rejected or JobState.Failed or JobState.Cancelled;
}
