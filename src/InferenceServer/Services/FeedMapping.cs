using InferenceServer.Core.Feeds;
using Proto = InferenceServer.Protos.Detection.V1;

namespace InferenceServer.Services;

/// <summary>Feed specs and statuses between Core and the gRPC and REST shapes.</summary>
internal static class FeedMapping
{
    public static FeedSpec FromProto(Proto.FeedSpec p)
    {
        var spec = new FeedSpec
        {
            Id = p.Id,
            Url = p.Url,
            Model = NullIfEmpty(p.Model),
            Version = NullIfEmpty(p.Version),
            MaxFps = p.MaxFps,
            ConfidenceThreshold = p.HasConfidenceThreshold ? p.ConfidenceThreshold : null,
            IouThreshold = p.HasIouThreshold ? p.IouThreshold : null,
            Classes = [.. p.Classes],
            Loop = p.Loop,
            HwAccel = NullIfEmpty(p.Hwaccel),
            MaxReconnectAttempts = p.MaxReconnectAttempts,
            WebhookUrl = NullIfEmpty(p.WebhookUrl),
        };

        // Zero means "the default" for the tunables (proto3 has no presence for them).
        if (p.RtspTransport.Length > 0)
        {
            spec.RtspTransport = p.RtspTransport;
        }

        if (p.Decoder.Length > 0)
        {
            spec.Decoder = p.Decoder;
        }

        if (p.StallTimeoutSeconds != 0)
        {
            spec.StallTimeoutSeconds = p.StallTimeoutSeconds;
        }

        if (p.ConnectTimeoutSeconds != 0)
        {
            spec.ConnectTimeoutSeconds = p.ConnectTimeoutSeconds;
        }

        if (p.ReconnectMinSeconds != 0)
        {
            spec.ReconnectMinSeconds = p.ReconnectMinSeconds;
        }

        if (p.ReconnectMaxSeconds != 0)
        {
            spec.ReconnectMaxSeconds = p.ReconnectMaxSeconds;
        }

        if (p.WebhookBatchSize != 0)
        {
            spec.WebhookBatchSize = p.WebhookBatchSize;
        }

        if (p.WebhookIntervalMs != 0)
        {
            spec.WebhookIntervalMs = p.WebhookIntervalMs;
        }

        return spec;
    }

    public static Proto.FeedStatus ToProto(FeedStatus s)
    {
        var spec = s.Spec;
        var p = new Proto.FeedStatus
        {
            Spec = new Proto.FeedSpec
            {
                Id = spec.Id,
                Url = spec.RedactedUrl(),
                Model = spec.Model ?? "",
                Version = spec.Version ?? "",
                MaxFps = spec.MaxFps,
                Loop = spec.Loop,
                RtspTransport = spec.RtspTransport,
                Hwaccel = spec.HwAccel ?? "",
                Decoder = spec.Decoder,
                StallTimeoutSeconds = spec.StallTimeoutSeconds,
                ConnectTimeoutSeconds = spec.ConnectTimeoutSeconds,
                ReconnectMinSeconds = spec.ReconnectMinSeconds,
                ReconnectMaxSeconds = spec.ReconnectMaxSeconds,
                MaxReconnectAttempts = spec.MaxReconnectAttempts,
                WebhookUrl = spec.WebhookUrl ?? "",
                WebhookBatchSize = spec.WebhookBatchSize,
                WebhookIntervalMs = spec.WebhookIntervalMs,
            },
            State = ToProto(s.State),
            LastError = s.LastError ?? "",
            Decoder = s.Decoder ?? "",
            FramesRead = (ulong)s.FramesRead,
            FramesInferred = (ulong)s.FramesInferred,
            FramesSkipped = (ulong)s.FramesSkipped,
            FrameErrors = (ulong)s.FrameErrors,
            Reconnects = (ulong)s.Reconnects,
            Width = s.Width,
            Height = s.Height,
            LastFrameUnixNanos = UnixNanos(s.LastFrameAt),
            LastResultUnixNanos = UnixNanos(s.LastResultAt),
            SourceFps = s.SourceFps,
            LastLatencyMs = s.LastLatencyMs,
            Subscribers = s.Subscribers,
        };
        if (spec.ConfidenceThreshold is float c)
        {
            p.Spec.ConfidenceThreshold = c;
        }

        if (spec.IouThreshold is float i)
        {
            p.Spec.IouThreshold = i;
        }

        p.Spec.Classes.AddRange(spec.Classes);
        p.History.AddRange(s.History.Select(h => new Proto.FeedTransition { AtUnixNanos = UnixNanos(h.At), State = ToProto(h.State), Reason = h.Reason ?? "" }));
        return p;
    }

    /// <summary>The REST (snake_case JSON) shape of a status.</summary>
    public static object ToJson(FeedStatus s) => new
    {
        id = s.Spec.Id,
        url = s.Spec.RedactedUrl(),
        model = s.Spec.Model,
        version = s.Spec.Version,
        max_fps = s.Spec.MaxFps,
        state = Feed.Name(s.State),
        decoder = s.Decoder,
        last_error = s.LastError,
        frames_read = s.FramesRead,
        frames_inferred = s.FramesInferred,
        frames_skipped = s.FramesSkipped,
        frame_errors = s.FrameErrors,
        reconnects = s.Reconnects,
        width = s.Width,
        height = s.Height,
        last_frame_at = s.LastFrameAt,
        last_result_at = s.LastResultAt,
        source_fps = s.SourceFps,
        last_latency_ms = s.LastLatencyMs,
        subscribers = s.Subscribers,
        history = s.History.Select(h => new { at = h.At, state = Feed.Name(h.State), reason = h.Reason }),
    };

    private static Proto.FeedState ToProto(FeedState state) => state switch
    {
        FeedState.Connecting => Proto.FeedState.Connecting,
        FeedState.Streaming => Proto.FeedState.Streaming,
        FeedState.Stalled => Proto.FeedState.Stalled,
        FeedState.Reconnecting => Proto.FeedState.Reconnecting,
        FeedState.Stopped => Proto.FeedState.Stopped,
        FeedState.Failed => Proto.FeedState.Failed,
        _ => Proto.FeedState.Unspecified,
    };

    private static long UnixNanos(DateTimeOffset? t) => t is { } v ? (v.UtcTicks - DateTime.UnixEpoch.Ticks) * 100 : 0;

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;
}
