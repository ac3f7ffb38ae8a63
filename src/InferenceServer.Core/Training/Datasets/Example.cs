namespace InferenceServer.Core.Training.Datasets;

/// <summary>
/// One line of a dataset's append-only log: an image (by content hash) and its labels. A later line for the same
/// image replaces its labels; <see cref="Boxes"/> null means captured but not labelled yet.
/// </summary>
internal sealed record Example
{
    /// <summary>SHA-256 of the image bytes (hex): the example's identity.</summary>
    public required string Id { get; init; }

    /// <summary>File name under objects/ (id + extension).</summary>
    public required string File { get; init; }

    public required int Width { get; init; }

    public required int Height { get; init; }

    public IReadOnlyList<LabeledBox>? Boxes { get; init; }

    public DateTimeOffset AddedAt { get; init; }

    /// <summary>Where it came from: upload, import, feed:ID.</summary>
    public string? Source { get; init; }

    /// <summary>Held out for validation (never trained on): decided by the content hash, so stable everywhere.</summary>
    public bool Holdout => HoldoutFor(Id);

    internal static bool HoldoutFor(string id) => Convert.ToInt32(id[..2], 16) % 5 == 0;
}
