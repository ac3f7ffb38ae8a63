using System.Text.RegularExpressions;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// What a feed pulls and how it is inferred: bound from configuration (InferenceServer:Feeds) and from the
/// feeds API (REST JSON, gRPC), validated by <see cref="Validate"/> before anything starts.
/// </summary>
public sealed partial class FeedSpec
{
    /// <summary>Unique name: letters, digits, '.', '_' and '-', at most 64 characters.</summary>
    public string Id { get; set; } = "";

    /// <summary>rtsp://, rtsps://, http(s):// (MJPEG or any stream FFmpeg reads), file:// or an absolute local path.</summary>
    public string Url { get; set; } = "";

    /// <summary>Model name; empty for the server's default model.</summary>
    public string? Model { get; set; }

    /// <summary>Version or alias (e.g. "production"); empty for the model's serving version.</summary>
    public string? Version { get; set; }

    /// <summary>Frames inferred per second at most; 0 for as many as the model keeps up with.</summary>
    public double MaxFps { get; set; }

    public float? ConfidenceThreshold { get; set; }

    public float? IouThreshold { get; set; }

    /// <summary>Only these classes (labels or ids) are reported; empty for all.</summary>
    public List<string> Classes { get; set; } = [];

    /// <summary>Local files: start again at the end instead of stopping.</summary>
    public bool Loop { get; set; }

    /// <summary>RTSP lower transport: "tcp" (default; survives packet loss) or "udp".</summary>
    public string RtspTransport { get; set; } = "tcp";

    /// <summary>FFmpeg hardware decoder for network feeds on GPU hosts (e.g. "cuda"); empty for software.</summary>
    public string? HwAccel { get; set; }

    /// <summary>
    /// "auto" (default: GStreamer for H.264/H.265 rtsp:// cameras when gst-launch-1.0 and its plugins are installed
    /// and no hwaccel is asked for, else FFmpeg; a camera with another codec moves to FFmpeg after its first
    /// attempt), "ffmpeg" or "gstreamer" (H.264/H.265 over rtsp:// and rtsps:// only). Files always use OpenCV.
    /// </summary>
    public string Decoder { get; set; } = "auto";

    /// <summary>No new frame for this long means the feed is stalled: it is torn down and reconnected.</summary>
    public double StallTimeoutSeconds { get; set; } = 5;

    /// <summary>How long opening the source may take until its first frame (then the stall timeout applies).</summary>
    public double ConnectTimeoutSeconds { get; set; } = 10;

    public double ReconnectMinSeconds { get; set; } = 0.5;

    public double ReconnectMaxSeconds { get; set; } = 30;

    /// <summary>Consecutive failed connections before the feed gives up (state failed); 0 retries forever.</summary>
    public int MaxReconnectAttempts { get; set; }

    /// <summary>When set, detections are also POSTed here in batches (JSON), with retries.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Results per webhook POST at most.</summary>
    public int WebhookBatchSize { get; set; } = 16;

    /// <summary>A batch is sent at least this often while results arrive.</summary>
    public int WebhookIntervalMs { get; set; } = 1000;

    internal bool IsFile => FilePath is not null;

    internal bool IsRtsp => Url.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase) || Url.StartsWith("rtsps://", StringComparison.OrdinalIgnoreCase);

    /// <summary>The local path for file feeds; null for network feeds.</summary>
    internal string? FilePath =>
        Url.StartsWith("file://", StringComparison.OrdinalIgnoreCase) ? Uri.TryCreate(Url, UriKind.Absolute, out var u) ? u.LocalPath : null
        : Path.IsPathFullyQualified(Url) ? Url
        : null;

    /// <summary>Checks every field; returns an error naming the field, or null.</summary>
    public string? Validate()
    {
        if (!IdPattern().IsMatch(Id ?? ""))
        {
            return $"id must be 1-64 characters of letters, digits, '.', '_' or '-' (got '{Id}').";
        }

        if (string.IsNullOrWhiteSpace(Url) || Url.Length > 2048)
        {
            return "url is required (at most 2048 characters).";
        }

        if (FilePath is null)
        {
            if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("rtsp" or "rtsps" or "http" or "https") || string.IsNullOrEmpty(uri.Host))
            {
                return $"url must be rtsp://, rtsps://, http(s)://, file:// or an absolute path (got '{Url}').";
            }

            if (Url.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || c is '"' or '\\'))
            {
                return "url must not contain control characters, white space, quotes or backslashes (percent-encode them).";
            }
        }
        else if (Url.Contains("..", StringComparison.Ordinal) || Url.Any(char.IsControl))
        {
            return "url: a local path must be absolute and must not contain '..' or control characters.";
        }

        if (!(MaxFps >= 0 && MaxFps <= 1000))
        {
            return $"max_fps must be within [0, 1000] (got {MaxFps}).";
        }

        if (ConfidenceThreshold is float c && !(c >= 0 && c <= 1))
        {
            return $"confidence_threshold must be within [0, 1] (got {c}).";
        }

        if (IouThreshold is float i && !(i >= 0 && i <= 1))
        {
            return $"iou_threshold must be within [0, 1] (got {i}).";
        }

        if (RtspTransport is not ("tcp" or "udp"))
        {
            return $"rtsp_transport must be tcp or udp (got '{RtspTransport}').";
        }

        if (HwAccel is { Length: > 0 } hw && !HwAccelPattern().IsMatch(hw))
        {
            return $"hwaccel must be an FFmpeg hwaccel name such as cuda or vaapi (got '{hw}').";
        }

        if (Decoder is not ("auto" or "ffmpeg" or "gstreamer"))
        {
            return $"decoder must be auto, ffmpeg or gstreamer (got '{Decoder}').";
        }

        if (Decoder == "gstreamer" && !IsRtsp)
        {
            return "decoder gstreamer reads rtsp:// and rtsps:// feeds; use ffmpeg (or auto) for other URLs.";
        }

        if (Decoder == "gstreamer" && !string.IsNullOrEmpty(HwAccel))
        {
            return "hwaccel is an FFmpeg option: use decoder ffmpeg with it (GStreamer picks a hardware decoder by itself where one is installed).";
        }

        if (!(StallTimeoutSeconds >= 0.2 && StallTimeoutSeconds <= 600))
        {
            return $"stall_timeout_seconds must be within [0.2, 600] (got {StallTimeoutSeconds}).";
        }

        if (!(ConnectTimeoutSeconds >= 0.2 && ConnectTimeoutSeconds <= 600))
        {
            return $"connect_timeout_seconds must be within [0.2, 600] (got {ConnectTimeoutSeconds}).";
        }

        if (!(ReconnectMinSeconds >= 0.05 && ReconnectMaxSeconds >= ReconnectMinSeconds && ReconnectMaxSeconds <= 3600))
        {
            return $"reconnect delays must satisfy 0.05 <= min <= max <= 3600 (got {ReconnectMinSeconds}, {ReconnectMaxSeconds}).";
        }

        if (MaxReconnectAttempts < 0)
        {
            return $"max_reconnect_attempts must be 0 (forever) or more (got {MaxReconnectAttempts}).";
        }

        if (WebhookUrl is { Length: > 0 } hook
            && (!Uri.TryCreate(hook, UriKind.Absolute, out var hookUri) || hookUri.Scheme is not ("http" or "https")))
        {
            return $"webhook_url must be an http(s) URL (got '{hook}').";
        }

        if (WebhookBatchSize is < 1 or > 1000 || WebhookIntervalMs is < 10 or > 600_000)
        {
            return "webhook_batch_size must be within [1, 1000] and webhook_interval_ms within [10, 600000].";
        }

        return null;
    }

    /// <summary>The URL with any password replaced, for status, logs and errors.</summary>
    public string RedactedUrl()
    {
        if (FilePath is null && Uri.TryCreate(Url, UriKind.Absolute, out var uri) && uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            return new UriBuilder(uri) { Password = "***" }.Uri.ToString();
        }

        return Url;
    }

    /// <summary>Hides the password of every URL in <paramref name="text"/> (decoders print the URL they failed on).</summary>
    internal static string RedactCredentials(string text) => UrlPassword().Replace(text, "$1***@");

    internal FeedSpec Clone() => (FeedSpec)MemberwiseClone();

    // scheme://user:password@ (a '@' or '/' inside a password is percent-encoded, so the first '@' ends it).
    [GeneratedRegex(@"(\b[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@\s/]*@")]
    private static partial Regex UrlPassword();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex IdPattern();

    [GeneratedRegex("^[a-z0-9_]{1,32}$")]
    private static partial Regex HwAccelPattern();
}
