namespace InferenceServer.Core.Training.Synthetic;

/// <summary>One drawn object and its tight box in frame pixels (x2, y2 exclusive), clipped to the frame.</summary>
internal sealed record SceneObject(int Id, string Label, int ClassId, float X1, float Y1, float X2, float Y2);
