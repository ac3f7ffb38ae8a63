namespace InferenceServer.Core.Training.Datasets;

/// <summary>One labelled object: category name and corners in image pixels.</summary>
internal sealed record LabeledBox(string Label, float X1, float Y1, float X2, float Y2);
