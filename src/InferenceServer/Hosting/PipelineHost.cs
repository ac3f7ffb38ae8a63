using InferenceServer.Configuration;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Pipeline;
using Microsoft.Extensions.Options;

namespace InferenceServer.Hosting;

/// <summary>Owns the detection pipeline for the server's lifetime; drains it on shutdown.</summary>
internal sealed class PipelineHost : IHostedService, IAsyncDisposable
{
    private readonly DetectionPipeline _pipeline;

    public PipelineHost(IOptions<ServerOptions> options, ILogger<DetectionPipeline> logger)
    {
        var o = options.Value;
        Limits = new ImageLimits { MaxPixels = o.MaxImagePixels };
        _pipeline = new DetectionPipeline(o.Pipeline, Limits, logger);
    }

    public DetectionPipeline Pipeline => _pipeline;

    public ImageLimits Limits { get; }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await _pipeline.DisposeAsync();

    public ValueTask DisposeAsync() => _pipeline.DisposeAsync();
}
