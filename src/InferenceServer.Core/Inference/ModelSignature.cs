namespace InferenceServer.Core.Inference;

/// <summary>What a loaded model expects and produces, read from the ONNX file.</summary>
internal sealed record ModelSignature(
    string InputName,
    IReadOnlyList<long> InputShape,
    string InputElementType,
    bool DynamicBatch,
    int InputWidth,
    int InputHeight,
    string OutputName,
    IReadOnlyList<long> OutputShape,
    IReadOnlyDictionary<string, string> Metadata,
    UltralyticsMetadata Ultralytics)
{
    /// <summary>Per-image output rows (axis 1).</summary>
    public int OutputRows => (int)OutputShape[1];

    /// <summary>Per-image output columns (axis 2).</summary>
    public int OutputColumns => (int)OutputShape[2];

    public int InputLength => 3 * InputWidth * InputHeight;

    public int OutputLength => OutputRows * OutputColumns;
}
