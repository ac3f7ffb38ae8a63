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

    public static readonly Counter ModelLoadFailures = Metrics.CreateCounter(
        "inference_model_load_failures_total", "Model versions that failed to load.",
        new CounterConfiguration { LabelNames = ["model"] });
}
