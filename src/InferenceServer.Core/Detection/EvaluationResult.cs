namespace InferenceServer.Core.Detection;

/// <summary>COCO-style AP per class and the mean over classes that have ground truth.</summary>
internal sealed record EvaluationResult(IReadOnlyList<ClassAp> PerClass, double MeanAp50, double MeanAp50To95, int Images);
