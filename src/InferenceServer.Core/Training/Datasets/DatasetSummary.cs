namespace InferenceServer.Core.Training.Datasets;

/// <summary>What a dataset holds now: images, labelled/unlabelled/held-out counts, categories, boxes per category, versions.</summary>
internal sealed record DatasetSummary(
    string Name,
    int Images,
    int Labelled,
    int Unlabelled,
    int Holdout,
    IReadOnlyList<string> Categories,
    IReadOnlyDictionary<string, int> Boxes,
    IReadOnlyList<DatasetVersion> Versions);
