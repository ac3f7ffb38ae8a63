namespace InferenceServer.Core.Detection;

/// <summary>A labelled box, corners in pixels.</summary>
internal readonly record struct GroundTruthBox(float X1, float Y1, float X2, float Y2, int ClassId)
{
    public Detection AsDetection() => new(X1, Y1, X2, Y2, 1f, ClassId);
}
