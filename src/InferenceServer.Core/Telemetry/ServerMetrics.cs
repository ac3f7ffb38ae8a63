using Prometheus;

namespace InferenceServer.Core.Telemetry;

/// <summary>Prometheus series shared by every entry point (names are documented in the README).</summary>
internal static class ServerMetrics
{
    private static readonly double[] LatencyBuckets = Histogram.ExponentialBuckets(0.0005, 2, 16);

    public static readonly Counter Requests = Metrics.CreateCounter(
        "inference_requests_total", "Frames handled, by model, version and outcome.",
        new CounterConfiguration { LabelNames = ["model", "version", "outcome"] });

    public static readonly Histogram StageSeconds = Metrics.CreateHistogram(
        "inference_stage_seconds", "Time per frame in each pipeline stage (queue, decode, preprocess, inference, postprocess, total).",
        new HistogramConfiguration { LabelNames = ["model", "stage"], Buckets = LatencyBuckets });

    public static readonly Gauge ModelReady = Metrics.CreateGauge(
        "inference_model_ready", "1 when the model version is loaded, warmed up and serving.",
        new GaugeConfiguration { LabelNames = ["model", "version", "provider"] });

    // How many registries in this process serve each (model, version, provider): the series is 1 while any does.
    private static readonly Dictionary<(string Model, string Version, string Provider), int> ReadyCounts = [];

    public static readonly Histogram BatchSize = Metrics.CreateHistogram(
        "inference_batch_size", "Frames per inference batch.",
        new HistogramConfiguration { LabelNames = ["model"], Buckets = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32] });

    public static readonly Gauge QueueDepth = Metrics.CreateGauge(
        "inference_queue_depth", "Frames waiting in a pipeline queue (decode, batch).",
        new GaugeConfiguration { LabelNames = ["queue"] });

    public static readonly Counter DroppedFrames = Metrics.CreateCounter(
        "inference_dropped_frames_total", "Frames dropped before inference, by stream and reason.",
        new CounterConfiguration { LabelNames = ["stream", "reason"] });

    public static readonly Gauge ActiveStreams = Metrics.CreateGauge(
        "inference_active_streams", "Open StreamDetect calls.");

    public static readonly Counter StreamFrames = Metrics.CreateCounter(
        "inference_stream_frames_total", "Frames with a result, by stream (rate() gives frames/s per stream).",
        new CounterConfiguration { LabelNames = ["stream"] });

    public static readonly Gauge StreamFps = Metrics.CreateGauge(
        "inference_stream_fps", "Results per second of each open stream (smoothed).",
        new GaugeConfiguration { LabelNames = ["stream"] });

    public static readonly Counter ModelSwaps = Metrics.CreateCounter(
        "inference_model_swaps_total", "Times routing switched a model to another version.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Counter ModelLoadFailures = Metrics.CreateCounter(
        "inference_model_load_failures_total", "Model versions that failed to load.",
        new CounterConfiguration { LabelNames = ["model"] });

    public static readonly Gauge FeedState = Metrics.CreateGauge(
        "inference_feed_state", "1 for each feed's current state (connecting, streaming, stalled, reconnecting, stopped, failed).",
        new GaugeConfiguration { LabelNames = ["feed", "state"] });

    public static readonly Counter FeedFrames = Metrics.CreateCounter(
        "inference_feed_frames_total", "Frames of pulled feeds: read from the source, inferred, skipped (max fps or model busy), failed.",
        new CounterConfiguration { LabelNames = ["feed", "kind"] });

    public static readonly Counter FeedReconnects = Metrics.CreateCounter(
        "inference_feed_reconnects_total", "Times a feed lost its source (error, end or stall) and reconnected.",
        new CounterConfiguration { LabelNames = ["feed"] });

    public static readonly Histogram FeedLatency = Metrics.CreateHistogram(
        "inference_feed_latency_seconds", "Frame read from the source → result routed, per feed.",
        new HistogramConfiguration { LabelNames = ["feed"], Buckets = LatencyBuckets });

    /// <summary>Records a successful frame: outcome count and every stage's time.</summary>
    public static void Observe(Inference.DetectionResult result)
    {
        Requests.WithLabels(result.Model, result.Version, "ok").Inc();
        var t = result.Timings;
        StageSeconds.WithLabels(result.Model, "queue").Observe(t.QueueMs / 1000);
        StageSeconds.WithLabels(result.Model, "decode").Observe(t.DecodeMs / 1000);
        StageSeconds.WithLabels(result.Model, "preprocess").Observe(t.PreprocessMs / 1000);
        StageSeconds.WithLabels(result.Model, "inference").Observe(t.InferenceMs / 1000);
        StageSeconds.WithLabels(result.Model, "postprocess").Observe(t.PostprocessMs / 1000);
        StageSeconds.WithLabels(result.Model, "total").Observe(t.TotalMs / 1000);
    }

    /// <summary>
    /// A model version became ready. Counted: registries in one process (tests, embedded hosts) may load the same
    /// version, and one unloading it must not remove the series while another still serves it.
    /// </summary>
    public static void ModelLoaded(string model, string version, string provider)
    {
        lock (ReadyCounts)
        {
            var key = (model, version, provider);
            ReadyCounts[key] = ReadyCounts.GetValueOrDefault(key) + 1;
            ModelReady.WithLabels(model, version, provider).Set(1);
        }
    }

    /// <summary>A model version was unloaded; its series goes when no registry serves it any more.</summary>
    public static void ModelUnloaded(string model, string version, string provider)
    {
        lock (ReadyCounts)
        {
            var key = (model, version, provider);
            int left = ReadyCounts.GetValueOrDefault(key) - 1;
            if (left > 0)
            {
                ReadyCounts[key] = left;
                return;
            }

            ReadyCounts.Remove(key);
            ModelReady.RemoveLabelled(model, version, provider);
        }
    }
}
