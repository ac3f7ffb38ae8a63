namespace InferenceServer.Core.Detection;

/// <summary>One box, corners in pixels (model input or original frame, depending on the stage).</summary>
internal readonly record struct Detection(float X1, float Y1, float X2, float Y2, float Score, int ClassId)
{
    public float Area => MathF.Max(0, X2 - X1) * MathF.Max(0, Y2 - Y1);

    public static float IoU(in Detection a, in Detection b)
    {
        float ix = MathF.Min(a.X2, b.X2) - MathF.Max(a.X1, b.X1);
        float iy = MathF.Min(a.Y2, b.Y2) - MathF.Max(a.Y1, b.Y1);
        if (ix <= 0 || iy <= 0)
        {
            return 0;
        }

        float inter = ix * iy;
        float union = a.Area + b.Area - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
