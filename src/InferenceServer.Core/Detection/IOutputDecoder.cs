namespace InferenceServer.Core.Detection;

/// <summary>Turns one image's raw model output into candidate boxes in model-input pixels.</summary>
internal interface IOutputDecoder
{
    DecoderKind Kind { get; }

    /// <summary>Whether candidates still need non-maximum suppression.</summary>
    bool NeedsNms { get; }

    void Decode(ReadOnlySpan<float> output, in DecodeContext context, List<Detection> candidates);
}
