using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferenceServer.Hosting;

/// <summary>Feeds grpc.health.v1: serving only once the default model is loaded.</summary>
internal sealed class ModelReadinessCheck : IHealthCheck
{
    private readonly ModelHost _models;

    public ModelReadinessCheck(ModelHost models)
    {
        _models = models;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(_models.IsReady
            ? HealthCheckResult.Healthy("default model loaded")
            : HealthCheckResult.Unhealthy(_models.LoadError ?? "default model is loading"));
}
