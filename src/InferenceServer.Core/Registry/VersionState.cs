namespace InferenceServer.Core.Registry;

/// <summary>Life of a model version in the registry.</summary>
public enum VersionState
{
    /// <summary>Found on disk, complete, not loaded (outside the version policy or unloaded).</summary>
    Available,

    /// <summary>Being loaded and validated in the background.</summary>
    Loading,

    /// <summary>Loaded, warmed up, can serve.</summary>
    Ready,

    /// <summary>Loading failed; the reason is kept.</summary>
    Failed,

    /// <summary>No longer routed to; disposed when its last in-flight frame finishes.</summary>
    Draining,
}
