using InferenceServer.Core.Feeds;

namespace InferenceServer.Configuration;

/// <summary>Pulled live feeds (the <c>InferenceServer:Feeds</c> section).</summary>
public sealed class FeedSettings
{
    /// <summary>Feeds running at once at most (each holds a decoder process and a pipeline stream).</summary>
    public int MaxFeeds { get; set; } = 32;

    /// <summary>The FFmpeg executable for network feeds (Debian's ffmpeg package).</summary>
    public string FfmpegPath { get; set; } = "ffmpeg";

    /// <summary>GStreamer's launcher for RTSP feeds decoded by GStreamer (Debian's gstreamer1.0-tools package).</summary>
    public string GstLaunchPath { get; set; } = "gst-launch-1.0";

    /// <summary>Feeds started with the server (InferenceServer:Feeds:Sources:0:Id, ...:Url, ...).</summary>
    public List<FeedSpec> Sources { get; set; } = [];

    public string? Validate()
    {
        if (MaxFeeds < 0 || MaxFeeds > 1024)
        {
            return $"MaxFeeds must be within [0, 1024] (got {MaxFeeds}).";
        }

        if (string.IsNullOrWhiteSpace(FfmpegPath) || string.IsNullOrWhiteSpace(GstLaunchPath))
        {
            return "FfmpegPath and GstLaunchPath must be set.";
        }

        for (int i = 0; i < Sources.Count; i++)
        {
            if (Sources[i].Validate() is string error)
            {
                return $"Sources:{i}: {error}";
            }
        }

        var duplicate = Sources.GroupBy(s => s.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            return $"Sources: feed id '{duplicate.Key}' is declared twice.";
        }

        return Sources.Count > MaxFeeds ? $"Sources: {Sources.Count} feeds declared, more than MaxFeeds ({MaxFeeds})." : null;
    }
}
