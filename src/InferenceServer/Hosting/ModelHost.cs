using InferenceServer.Configuration;
using InferenceServer.Core.Registry;
using Microsoft.Extensions.Options;

namespace InferenceServer.Hosting;

/// <summary>The host's view of the model registry: leases for requests, readiness, and the registry for control APIs.</summary>
internal sealed class ModelHost : IAsyncDisposable
{
    public ModelHost(IOptions<ServerOptions> options, ILogger<ModelRegistry> logger, PipelineHost pipeline)
    {
        var o = options.Value;
        Registry = new ModelRegistry(
            new RegistryOptions
            {
                Root = Path.GetFullPath(o.ModelRepository),
                DefaultModel = o.DefaultModel,
                Session = o.Session,
                Settle = TimeSpan.FromSeconds(o.Registry.SettleSeconds),
                PollInterval = TimeSpan.FromMilliseconds(o.Registry.PollMilliseconds),
                Watch = o.Registry.Watch,
            },
            logger,
            model => pipeline.Pipeline.ReleaseModelAsync(model));
    }

    public ModelRegistry Registry { get; }

    public bool IsReady => Registry.IsReady;

    public string? LoadError => Registry.DefaultModelError;

    /// <summary>A lease on the version a request should use, or null when that model/version is not loaded.</summary>
    public ModelLease? Acquire(string? name, string? versionOrAlias) => Registry.Acquire(name, versionOrAlias);

    public ValueTask DisposeAsync() => Registry.DisposeAsync();
}
