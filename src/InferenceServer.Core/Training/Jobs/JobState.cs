namespace InferenceServer.Core.Training.Jobs;

/// <summary>Where a retraining job is.</summary>
public enum JobState
{
    /// <summary>Waiting for the model's previous job to finish.</summary>
    Queued,

    /// <summary>The trainer is running.</summary>
    Training,

    /// <summary>The candidate is being evaluated against the serving version on the held-out split.</summary>
    Validating,

    /// <summary>Passed the gate: registered with alias "candidate" (and promoted when asked).</summary>
    Succeeded,

    /// <summary>Trained but failed the gate: registered nowhere; the report says why.</summary>
    Rejected,

    /// <summary>The trainer or an infrastructure step failed, or the server restarted mid-job.</summary>
    Failed,

    /// <summary>Cancelled by an operator.</summary>
    Cancelled,
}
