namespace InferenceServer.Hosting;

/// <summary>Starts the model registry off the start-up path, so liveness answers while models load and warm up.</summary>
internal sealed class ModelLoaderService : BackgroundService
{
    private readonly ModelHost _host;

    public ModelLoaderService(ModelHost host)
    {
        _host = host;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(() => _host.Registry.StartAsync(stoppingToken), stoppingToken);
}
