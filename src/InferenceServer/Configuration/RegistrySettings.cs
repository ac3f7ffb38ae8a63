namespace InferenceServer.Configuration;

/// <summary>How the model repository is watched (the <c>InferenceServer:Registry</c> section).</summary>
public sealed class RegistrySettings
{
    /// <summary>Watch the repository for new, changed and removed versions (file events plus polling).</summary>
    public bool Watch { get; set; } = true;

    /// <summary>Rescan interval when no file event arrives, in milliseconds.</summary>
    public int PollMilliseconds { get; set; } = 2000;

    /// <summary>A version folder with neither manifest.json nor READY is complete once unchanged this many seconds.</summary>
    public double SettleSeconds { get; set; } = 5;

    /// <summary>Largest model file accepted by the upload API, in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 512L * 1024 * 1024;

    public string? Validate()
    {
        if (PollMilliseconds < 50 || PollMilliseconds > 3_600_000)
        {
            return $"PollMilliseconds must be within [50, 3600000] (got {PollMilliseconds}).";
        }

        if (SettleSeconds < 0 || SettleSeconds > 3600)
        {
            return $"SettleSeconds must be within [0, 3600] (got {SettleSeconds}).";
        }

        if (MaxUploadBytes < 1024)
        {
            return $"MaxUploadBytes must be at least 1024 (got {MaxUploadBytes}).";
        }

        return null;
    }
}
