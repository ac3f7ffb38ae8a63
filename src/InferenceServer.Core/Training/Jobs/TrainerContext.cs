namespace InferenceServer.Core.Training.Jobs;

/// <summary>What a trainer gets: the exported training split (YOLO), the base checkpoint, where to write, and callbacks.</summary>
internal sealed record TrainerContext(
    RetrainJob Job, string DatasetDirectory, string? BaseCheckpoint, string OutputDirectory, Action<JobProgress> Progress, Action<string> Log);
