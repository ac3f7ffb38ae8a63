namespace InferenceServer.Core.Training.Datasets;

/// <summary>A frozen view of a dataset: the first <see cref="LogLength"/> lines of its log, and the label map then.</summary>
internal sealed record DatasetVersion(int Version, int LogLength, IReadOnlyList<string> Categories, DateTimeOffset CreatedAt);
