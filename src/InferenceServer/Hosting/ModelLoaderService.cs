namespace InferenceServer.Hosting;

/// <summary>Loads the models off the start-up path, so liveness answers while they warm up.</summary>
internal sealed class ModelLoaderService : BackgroundService
{
    private readonly ModelHost _host;

    public ModelLoaderService(ModelHost host)
    {
        _host = host;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Run(_host.LoadAll, stoppingToken);
}
