using InferenceServer.Configuration;
using InferenceServer.Core.Feeds;
using Microsoft.Extensions.Options;

namespace InferenceServer.Hosting;

/// <summary>Owns the feed manager: starts the configured feeds, stops every feed before the pipeline drains.</summary>
internal sealed class FeedHost : IHostedService, IAsyncDisposable
{
    private readonly FeedSettings _settings;
    private readonly HttpClient _http;

    public FeedHost(IOptions<ServerOptions> options, ModelHost models, PipelineHost pipeline, ILogger<FeedManager> logger)
    {
        _settings = options.Value.Feeds;

        // Webhooks: pooled connections, recycled so DNS changes of the receiver are noticed.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(10) };
        Manager = new FeedManager(
            new FeedContext(models.Registry, pipeline.Pipeline, _http, logger, _settings.FfmpegPath, _settings.GstLaunchPath, options.Value.MaxImagePixels),
            _settings.MaxFeeds);
    }

    public FeedManager Manager { get; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Configured feeds may start before their model has loaded: they skip frames until it serves.
        foreach (var spec in _settings.Sources)
        {
            Manager.Add(spec, requireModel: false);
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await Manager.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await Manager.DisposeAsync();
        _http.Dispose();
    }
}
