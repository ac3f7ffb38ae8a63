namespace InferenceServer.Core.Training.Datasets;

/// <summary>The labelled examples of one dataset version, split into training and held-out examples.</summary>
internal sealed record DatasetSnapshot(string Dataset, DatasetVersion Version, IReadOnlyList<Example> Examples, string ObjectsDirectory)
{
    public IEnumerable<Example> Train => Examples.Where(e => !e.Holdout);

    public IEnumerable<Example> Holdout => Examples.Where(e => e.Holdout);

    public string PathOf(Example example) => Path.Combine(ObjectsDirectory, example.File);
}
