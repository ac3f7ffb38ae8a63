using System.Collections.Concurrent;
using System.Globalization;
using InferenceServer.Configuration;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Registry;
using InferenceServer.Core.Telemetry;
using Microsoft.Extensions.Options;

namespace InferenceServer.Hosting;

/// <summary>
/// Loads every model of the repository (its newest numeric version) at start and says whether the server is
/// ready: the default model loaded and warmed up.
/// </summary>
internal sealed partial class ModelHost : IDisposable
{
    private readonly ServerOptions _options;
    private readonly ILogger<ModelHost> _logger;
    private readonly ConcurrentDictionary<string, DetectionModel> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _errors = new(StringComparer.Ordinal);

    public ModelHost(IOptions<ServerOptions> options, ILogger<ModelHost> logger)
    {
        _options = options.Value;
        _logger = logger;
    }

    public bool IsReady => _models.ContainsKey(_options.DefaultModel);

    /// <summary>Why the default model is not ready, when it failed.</summary>
    public string? LoadError => _errors.TryGetValue(_options.DefaultModel, out var e) ? e : null;

    public DetectionModel? Default => _models.TryGetValue(_options.DefaultModel, out var m) ? m : null;

    public IReadOnlyCollection<DetectionModel> Loaded => _models.Values.ToArray();

    /// <summary>The model a request asked for (null or empty: the default one), or null when it is not loaded.</summary>
    public DetectionModel? Find(string? name, string? version)
    {
        string key = string.IsNullOrEmpty(name) ? _options.DefaultModel : name;
        if (!_models.TryGetValue(key, out var model))
        {
            return null;
        }

        return string.IsNullOrEmpty(version) || string.Equals(version, model.Version, StringComparison.Ordinal) ? model : null;
    }

    /// <summary>Loads the default model first (readiness waits for it), then every other model in the repository.</summary>
    public void LoadAll()
    {
        string repo = Path.GetFullPath(_options.ModelRepository);
        Load(_options.DefaultModel, repo);
        if (!Directory.Exists(repo))
        {
            return;
        }

        foreach (var dir in Directory.EnumerateDirectories(repo).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(dir);
            if (name != _options.DefaultModel && !name.StartsWith('.'))
            {
                Load(name, repo);
            }
        }
    }

    public void Dispose()
    {
        foreach (var model in _models.Values)
        {
            model.Dispose();
        }
    }

    private void Load(string name, string repo)
    {
        try
        {
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
            _models[name] = model;
            _errors.TryRemove(name, out _);
            ServerMetrics.ModelReady.WithLabels(model.Name, model.Version, model.Provider.ToString().ToLowerInvariant()).Set(1);
        }
        catch (ModelLoadException ex)
        {
            _errors[name] = ex.Message;
            ServerMetrics.ModelLoadFailures.WithLabels(name).Inc();
            LogLoadFailed(_logger, name, ex.Message);
        }
    }

    [LoggerMessage(10, LogLevel.Error, "Model {Model} failed to load: {Error}")]
    private static partial void LogLoadFailed(ILogger logger, string model, string error);
}
