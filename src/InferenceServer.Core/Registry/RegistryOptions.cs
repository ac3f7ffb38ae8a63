using InferenceServer.Core.Inference;

namespace InferenceServer.Core.Registry;

/// <summary>Where the repository is and how it is watched.</summary>
internal sealed record RegistryOptions
{
    public required string Root { get; init; }

    public required string DefaultModel { get; init; }

    public required SessionSettings Session { get; init; }

    /// <summary>A version without manifest.json or READY is complete once its files are unchanged this long.</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Rescan interval, the fallback when file events are missed (network file systems, containers).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether to watch the repository at all (explicit control only when false).</summary>
    public bool Watch { get; init; } = true;
}
