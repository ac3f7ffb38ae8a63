namespace InferenceServer.Core.Registry;

/// <summary>One version as the status API reports it.</summary>
internal sealed record VersionStatus(string Version, VersionState State, string? Reason, int InFlight, IReadOnlyList<string> Aliases);

/// <summary>One model as the status API reports it.</summary>
internal sealed record ModelStatus(string Name, string? Serving, IReadOnlyDictionary<string, string> Aliases, IReadOnlyList<VersionStatus> Versions);
