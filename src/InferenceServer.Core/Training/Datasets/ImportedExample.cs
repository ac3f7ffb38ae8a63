namespace InferenceServer.Core.Training.Datasets;

/// <summary>An example read from an imported YOLO or COCO folder, before validation; <see cref="Error"/> when unreadable.</summary>
internal sealed record ImportedExample(string File, byte[]? Image, IReadOnlyList<LabeledBox> Boxes, string? Error = null);
