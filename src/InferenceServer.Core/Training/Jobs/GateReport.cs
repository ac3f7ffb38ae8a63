namespace InferenceServer.Core.Training.Jobs;

/// <summary>The validation gate's verdict: per-class AP@0.5 of the candidate and the serving version on the held-out split.</summary>
internal sealed record GateReport
{
    public required bool Passed { get; init; }

    public required int HoldoutImages { get; init; }

    public required double MinNewAp { get; init; }

    public required double MaxOldDrop { get; init; }

    public required string ProductionVersion { get; init; }

    public required IReadOnlyDictionary<string, ClassGate> Classes { get; init; }

    /// <summary>Why it failed (empty when it passed).</summary>
    public required IReadOnlyList<string> Reasons { get; init; }
}
