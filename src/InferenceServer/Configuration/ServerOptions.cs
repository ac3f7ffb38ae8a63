using InferenceServer.Core.Inference;
using InferenceServer.Core.Pipeline;
using InferenceServer.Security;

namespace InferenceServer.Configuration;

/// <summary>The <c>InferenceServer</c> configuration section (appsettings.json, INFERENCESERVER__* variables, --InferenceServer:* arguments).</summary>
public sealed class ServerOptions
{
    public const string Section = "InferenceServer";

    /// <summary>Address all listeners bind to.</summary>
    public string ListenAddress { get; set; } = "0.0.0.0";

    /// <summary>HTTP/REST port (Triton's default 8000); 0 picks a free port.</summary>
    public int HttpPort { get; set; } = 8000;

    /// <summary>gRPC port, HTTP/2 without TLS (Triton's default 8001); 0 picks a free port.</summary>
    public int GrpcPort { get; set; } = 8001;

    /// <summary>Prometheus metrics port (Triton's default 8002); 0 picks a free port.</summary>
    public int MetricsPort { get; set; } = 8002;

    /// <summary>Seconds in-flight work may take to finish after SIGTERM.</summary>
    public int ShutdownTimeoutSeconds { get; set; } = 30;

    /// <summary>Model repository: <c>&lt;repo&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx</c>.</summary>
    public string ModelRepository { get; set; } = "models/repository";

    /// <summary>Model served when a request names none; readiness waits for it.</summary>
    public string DefaultModel { get; set; } = "shapes";

    /// <summary>Largest accepted image, in pixels (checked from the header, before decoding).</summary>
    public long MaxImagePixels { get; set; } = 40_000_000;

    /// <summary>Largest accepted request body or gRPC message, in bytes.</summary>
    public int MaxMessageBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Decode workers, batching delay and stream limits.</summary>
    public PipelineOptions Pipeline { get; set; } = new();

    /// <summary>API keys and roles.</summary>
    public ApiKeyOptions Auth { get; set; } = new();

    /// <summary>TLS and mutual TLS for the listeners.</summary>
    public TlsOptions Tls { get; set; } = new();

    /// <summary>Per-key rate, concurrency and stream limits.</summary>
    public LimitOptions Limits { get; set; } = new();

    /// <summary>Append-only JSON-lines audit log of operator and admin actions; empty disables it.</summary>
    public string AuditLogPath { get; set; } = "logs/audit.jsonl";

    /// <summary>Repository watching and uploads.</summary>
    public RegistrySettings Registry { get; set; } = new();

    /// <summary>Datasets and retraining.</summary>
    public TrainingSettings Training { get; set; } = new();

    /// <summary>Live feeds pulled by the server.</summary>
    public FeedSettings Feeds { get; set; } = new();

    /// <summary>ONNX Runtime settings for loaded models.</summary>
    public SessionSettings Session { get; set; } = new();
}
