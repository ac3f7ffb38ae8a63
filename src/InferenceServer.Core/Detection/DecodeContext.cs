namespace InferenceServer.Core.Detection;

/// <summary>What a decoder needs besides the raw output of one image.</summary>
/// <param name="Rows">Size of the output's first per-image axis.</param>
/// <param name="Columns">Size of the output's second per-image axis.</param>
/// <param name="ClassCount">Number of classes the output scores.</param>
/// <param name="InputWidth">Model input width in pixels.</param>
/// <param name="InputHeight">Model input height in pixels.</param>
/// <param name="ConfidenceThreshold">Candidates scoring below this are dropped.</param>
/// <param name="ClassFilter">When not null, only classes whose entry is true are kept.</param>
internal readonly record struct DecodeContext(
    int Rows, int Columns, int ClassCount, int InputWidth, int InputHeight, float ConfidenceThreshold, bool[]? ClassFilter)
{
    public bool Allows(int classId) =>
        ClassFilter is null || ((uint)classId < (uint)ClassFilter.Length && ClassFilter[classId]);
}
