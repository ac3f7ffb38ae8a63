namespace InferenceServer.Core.Inference;

/// <summary>A detection in original-frame pixels with its class name.</summary>
internal readonly record struct LabeledDetection(string Label, int ClassId, float Score, float X1, float Y1, float X2, float Y2);
