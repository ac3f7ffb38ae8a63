namespace InferenceServer.Core.Detection;

/// <summary>Average precision of one class.</summary>
internal sealed record ClassAp(int ClassId, int GroundTruthCount, int PredictionCount, double Ap50, double Ap50To95);
