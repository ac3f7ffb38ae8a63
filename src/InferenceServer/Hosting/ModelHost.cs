using System.Globalization;
using InferenceServer.Configuration;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Registry;
using InferenceServer.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace InferenceServer.Hosting;

/// <summary>Owns the loaded models and says whether the server is ready (default model loaded and warm).</summary>
internal sealed partial class ModelHost : IDisposable
{
    private readonly ServerOptions _options;
    private readonly ILogger<ModelHost> _logger;
    private volatile DetectionModel? _default;
    private volatile string? _loadError;

    public ModelHost(IOptions<ServerOptions> options, ILogger<ModelHost> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    public bool IsReady => _default is not null;

    public string? LoadError => _loadError;

    public DetectionModel? Default => _default;

    /// <summary>The model a request asked for (null or empty: the default one), or null when it is not loaded.</summary>
    public DetectionModel? Find(string? name, string? version)
    {
        var model = _default;
        if (model is null)
        {
            return null;
        }

        bool nameOk = string.IsNullOrEmpty(name) || string.Equals(name, model.Name, StringComparison.Ordinal);
        bool versionOk = string.IsNullOrEmpty(version) || string.Equals(version, model.Version, StringComparison.Ordinal);
        return nameOk && versionOk ? model : null;
    }

    /// <summary>Loads the newest complete version of the default model; failures are logged and kept for the status API.</summary>
    public void LoadDefault()
    {
        string name = _options.DefaultModel;
        try
        {
            string repo = Path.GetFullPath(_options.ModelRepository);
            string modelDir = Path.Combine(repo, name);
            if (!Directory.Exists(modelDir))
            {
                throw new ModelLoadException($"Model '{name}' not found: directory '{modelDir}' does not exist.");
            }

            var version = Directory.EnumerateDirectories(modelDir)
                .Select(d => (Dir: d, Name: Path.GetFileName(d)))
                .Where(v => long.TryParse(v.Name, NumberStyles.None, CultureInfo.InvariantCulture, out _) && File.Exists(Path.Combine(v.Dir, "model.onnx")))
                .OrderByDescending(v => long.Parse(v.Name, CultureInfo.InvariantCulture))
                .FirstOrDefault();
            if (version.Dir is null)
            {
                throw new ModelLoadException($"Model '{name}' has no version folder (a number) containing model.onnx under '{modelDir}'.");
            }

            ModelManifest? manifest;
            try
            {
                manifest = ModelManifest.LoadOptional(version.Dir);
            }
            catch (InvalidDataException ex)
            {
                throw new ModelLoadException($"Model '{name}' v{version.Name}: {ex.Message}", ex);
            }

            var model = ModelLoader.Load(Path.Combine(version.Dir, "model.onnx"), manifest, _options.Session, name, version.Name, _logger);
            _default = model;
            _loadError = null;
            ServerMetrics.ModelReady.WithLabels(model.Name, model.Version, model.Provider.ToString().ToLowerInvariant()).Set(1);
        }
        catch (ModelLoadException ex)
        {
            _loadError = ex.Message;
            ServerMetrics.ModelLoadFailures.WithLabels(name).Inc();
            LogLoadFailed(_logger, name, ex.Message);
        }
    }

    public void Dispose() => _default?.Dispose();

    [LoggerMessage(10, LogLevel.Error, "Default model {Model} failed to load: {Error}")]
    private static partial void LogLoadFailed(ILogger logger, string model, string error);
}
