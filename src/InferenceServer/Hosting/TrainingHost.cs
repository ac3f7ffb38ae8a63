using InferenceServer.Configuration;
using InferenceServer.Core.Training.Datasets;
using InferenceServer.Core.Training.Jobs;
using Microsoft.Extensions.Options;

namespace InferenceServer.Hosting;

/// <summary>Owns datasets and the retraining service; queued jobs resume and interrupted ones are marked at start.</summary>
internal sealed class TrainingHost : IHostedService, IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public TrainingHost(IOptions<ServerOptions> options, ModelHost models, PipelineHost pipeline, ListenEndpoints endpoints, ILogger<RetrainingService> logger)
    {
        var o = options.Value;
        var t = o.Training;
        Settings = t;
        Datasets = new DatasetStore(Path.Combine(t.DataRoot, "datasets"), pipeline.Limits);
        Jobs = new RetrainingService(
            new TrainingOptions
            {
                Command = t.EffectiveCommand,
                WorkingDirectory = Path.GetFullPath(t.WorkingDirectory),
                WebhookUrl = t.WebhookUrl,
                CallbackBaseUrl = () => t.CallbackBaseUrl ?? $"http://127.0.0.1:{endpoints.HttpPort}",
                WebhookTimeout = TimeSpan.FromMinutes(t.WebhookTimeoutMinutes),
                MinNewAp = t.MinNewAp,
                MaxOldDrop = t.MaxOldDrop,
                EvaluationSession = new Core.Inference.SessionSettings { Provider = o.Session.Provider, DeviceId = o.Session.DeviceId, Instances = 1, MaxBatchSize = 1 },
            },
            models.Registry,
            Datasets,
            new JobStore(Path.Combine(t.DataRoot, "jobs")),
            _http,
            logger);
    }

    public TrainingSettings Settings { get; }

    public DatasetStore Datasets { get; }

    public RetrainingService Jobs { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        Jobs.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await Jobs.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await Jobs.DisposeAsync();
        _http.Dispose();
    }
}
