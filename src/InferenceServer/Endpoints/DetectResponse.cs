namespace InferenceServer.Endpoints;

/// <summary>JSON body of a detection result (the same shape the CLI prints with --json).</summary>
internal sealed record DetectResponse(
    string Model, string Version, int Width, int Height, IReadOnlyList<DetectResponse.Item> Detections, DetectResponse.Timing TimingsMs)
{
    internal sealed record Item(string Label, int ClassId, float Score, float[] Box);

    internal sealed record Timing(double Queue, double Decode, double Preprocess, double Inference, double Postprocess, double Total);
}
