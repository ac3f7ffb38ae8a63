using System.Collections.Concurrent;
using System.Collections.Frozen;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Registry;

/// <summary>
/// The versioned model repository on disk (<c>&lt;root&gt;/&lt;model&gt;/&lt;version&gt;/</c>) and the routing of requests to
/// loaded versions. New versions load in the background, are validated (session created, signature understood,
/// warm-up at batch 1 and the max batch), and only then does routing switch — atomically. Frames hold leases; a
/// version that is no longer routed to is disposed when its last frame is done. A failed load leaves the serving
/// version untouched. Loads, unloads and alias changes of one model are serialized.
/// </summary>
internal sealed partial class ModelRegistry : IAsyncDisposable
{
    public const string Production = "production";

    private readonly RegistryOptions _options;
    private readonly ILogger _logger;
    private readonly Func<DetectionModel, ValueTask> _beforeDispose;
    private readonly ConcurrentDictionary<string, Entry> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _drains = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _rescan = new(0, 1);
    private FileSystemWatcher? _watcher;
    private Task? _loop;
    private int _disposed;

    /// <param name="beforeDispose">Runs when a drained version is about to be disposed (the pipeline drops its batcher).</param>
    public ModelRegistry(RegistryOptions options, ILogger logger, Func<DetectionModel, ValueTask>? beforeDispose = null)
    {
        _options = options;
        _logger = logger;
        _beforeDispose = beforeDispose ?? (_ => ValueTask.CompletedTask);
    }

    public string Root => _options.Root;

    /// <summary>The folder of a version on disk, or null when there is none.</summary>
    public string? VersionDirectory(string name, string version)
    {
        if (!ModelNames.IsValidName(name) || !ModelNames.TryParseVersion(version, out _))
        {
            return null;
        }

        string dir = Path.Combine(_options.Root, name, version);
        return Directory.Exists(dir) ? dir : null;
    }

    /// <summary>True once the default model has a serving version.</summary>
    public bool IsReady => _models.TryGetValue(_options.DefaultModel, out var e) && e.Serving is not null;

    /// <summary>Why the default model is not serving, when known.</summary>
    public string? DefaultModelError
    {
        get
        {
            if (!_models.TryGetValue(_options.DefaultModel, out var e))
            {
                return $"model '{_options.DefaultModel}' not found in '{_options.Root}'";
            }

            return e.Error ?? e.Versions.Values.Where(v => v.State == VersionState.Failed).Select(v => $"model '{e.Name}' version {v.Version}: {v.Reason}").LastOrDefault();
        }
    }

    /// <summary>Loads what the repository holds (the default model first) and starts watching it.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await SyncAllAsync(cancellationToken).ConfigureAwait(false);
        if (_options.Watch && Directory.Exists(_options.Root))
        {
            _watcher = new FileSystemWatcher(_options.Root)
            {
                IncludeSubdirectories = true,
                NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
            };
            _watcher.Created += (_, _) => SignalRescan();
            _watcher.Changed += (_, _) => SignalRescan();
            _watcher.Deleted += (_, _) => SignalRescan();
            _watcher.Renamed += (_, _) => SignalRescan();
            _watcher.EnableRaisingEvents = true;
        }

        _loop = Task.Run(WatchLoopAsync, CancellationToken.None);
    }

    /// <summary>A lease on the version a request should use: the serving one, or the pinned version/alias. Null when none.</summary>
    public ModelLease? Acquire(string? name, string? versionOrAlias)
    {
        string key = string.IsNullOrEmpty(name) ? _options.DefaultModel : name;
        if (!_models.TryGetValue(key, out var entry))
        {
            return null;
        }

        for (int attempt = 0; attempt < 8; attempt++)
        {
            LoadedVersion? target;
            if (string.IsNullOrEmpty(versionOrAlias))
            {
                target = entry.Serving;
            }
            else
            {
                string version = entry.Aliases.TryGetValue(versionOrAlias, out var aliased) ? aliased : versionOrAlias;
                target = entry.Versions.TryGetValue(version, out var record) && record.State == VersionState.Ready ? record.Loaded : null;
            }

            if (target is null)
            {
                return null;
            }

            if (target.TryAcquire())
            {
                return new ModelLease(target);
            }

            // Retired between the lookup and the lease: routing has already moved on, look again.
        }

        return null;
    }

    public IReadOnlyList<ModelStatus> List()
    {
        return _models.Values.OrderBy(e => e.Name, StringComparer.Ordinal).Select(Status).ToArray();
    }

    public ModelStatus? Get(string name) => _models.TryGetValue(name, out var e) ? Status(e) : null;

    /// <summary>Loads a version (clearing an explicit unload) and waits for the outcome.</summary>
    public async Task<ModelStatus> LoadAsync(string name, string? version, CancellationToken cancellationToken)
    {
        var entry = await EnterAsync(name, cancellationToken).ConfigureAwait(false);
        try
        {
            Rescan(entry);
            var record = version is null ? Newest(entry) : Existing(entry, version);
            entry.UnloadedByRequest.Remove(record.Version);
            if (record.State != VersionState.Ready)
            {
                await LoadLockedAsync(entry, record, cancellationToken).ConfigureAwait(false);
                if (record.State != VersionState.Ready)
                {
                    throw new ModelLoadException($"model '{name}' version {record.Version} failed to load: {record.Reason}");
                }
            }

            RecomputeServing(entry);
            return Status(entry);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Stops serving a version (or all versions); it stays unloaded until loaded explicitly.</summary>
    public async Task<ModelStatus> UnloadAsync(string name, string? version, CancellationToken cancellationToken)
    {
        var entry = await EnterAsync(name, cancellationToken).ConfigureAwait(false);
        try
        {
            var records = version is null ? entry.Versions.Values.ToArray() : [Existing(entry, version)];
            foreach (var record in records)
            {
                entry.UnloadedByRequest.Add(record.Version);
            }

            // The next eligible version loads before the unloaded one stops serving.
            await ApplyPolicyLockedAsync(entry, cancellationToken).ConfigureAwait(false);
            foreach (var record in records)
            {
                RetireLocked(entry, record);
            }

            RecomputeServing(entry);
            return Status(entry);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Points an alias at a version, loading it first; <c>production</c> decides what serves.</summary>
    public async Task<ModelStatus> SetAliasAsync(string name, string alias, string version, CancellationToken cancellationToken)
    {
        if (!ModelNames.IsValidAlias(alias))
        {
            throw new ArgumentException($"invalid alias '{alias}': use a letter then letters, digits, '_' or '-' (max 32).");
        }

        var entry = await EnterAsync(name, cancellationToken).ConfigureAwait(false);
        try
        {
            await SetAliasLockedAsync(entry, alias, version, recordHistory: true, cancellationToken).ConfigureAwait(false);
            return Status(entry);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    public Task<ModelStatus> PromoteAsync(string name, string version, CancellationToken cancellationToken) =>
        SetAliasAsync(name, Production, version, cancellationToken);

    /// <summary>Points production back at the version promoted before the current one.</summary>
    public async Task<ModelStatus> RollbackAsync(string name, CancellationToken cancellationToken)
    {
        var entry = await EnterAsync(name, cancellationToken).ConfigureAwait(false);
        try
        {
            Rescan(entry);
            var history = entry.Config.History;
            if (history.Count < 2)
            {
                throw new InvalidOperationException($"model '{name}' has no earlier production version to roll back to.");
            }

            string current = history[^1];
            string previous = history[^2];
            await SetAliasLockedAsync(entry, Production, previous, recordHistory: false, cancellationToken, rescan: false).ConfigureAwait(false);
            history.RemoveAt(history.Count - 1);
            SaveConfig(entry);
            LogRolledBack(_logger, name, current, previous);
            return Status(entry);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Adds an uploaded ONNX file (and optional manifest) as the model's next version; returns the version.</summary>
    public Task<string> UploadAsync(string name, byte[] onnx, string? manifestJson, CancellationToken cancellationToken) =>
        UploadAsync(name, onnx, manifestJson, null, cancellationToken);

    /// <summary>As above, with extra files for the version folder (e.g. checkpoint.pt for later fine-tuning).</summary>
    public async Task<string> UploadAsync(string name, byte[] onnx, string? manifestJson, IReadOnlyDictionary<string, string>? extraFiles, CancellationToken cancellationToken)
    {
        ModelNames.CheckName(name);
        foreach (var file in extraFiles?.Keys ?? [])
        {
            if (file != Path.GetFileName(file) || file is VersionFolder.ModelFile or ModelManifest.FileName or VersionFolder.ReadyMarker || file.StartsWith('.'))
            {
                throw new ArgumentException($"extra file name '{file}' must be a plain file name other than the model, manifest or marker.");
            }
        }

        if (manifestJson is not null)
        {
            ModelManifest.Parse(manifestJson); // Refuse a bad manifest before anything is written.
        }

        string modelDir = Path.Combine(_options.Root, name);
        Directory.CreateDirectory(modelDir);
        var entry = await EnterAsync(name, cancellationToken, create: true).ConfigureAwait(false);
        string version;
        try
        {
            long next = Directory.EnumerateDirectories(modelDir)
                .Select(d => ModelNames.TryParseVersion(Path.GetFileName(d), out long v) ? v : 0)
                .DefaultIfEmpty(0).Max() + 1;
            version = next.ToString(System.Globalization.CultureInfo.InvariantCulture);

            // Written aside, then renamed into place: the version appears complete or not at all.
            string staging = Path.Combine(modelDir, $".upload-{Guid.NewGuid():N}");
            Directory.CreateDirectory(staging);
            await File.WriteAllBytesAsync(Path.Combine(staging, VersionFolder.ModelFile), onnx, cancellationToken).ConfigureAwait(false);
            foreach (var (file, source) in extraFiles ?? new Dictionary<string, string>())
            {
                File.Copy(source, Path.Combine(staging, file));
            }
            await File.WriteAllTextAsync(
                Path.Combine(staging, manifestJson is null ? VersionFolder.ReadyMarker : ModelManifest.FileName), manifestJson ?? string.Empty, cancellationToken).ConfigureAwait(false);
            Directory.Move(staging, Path.Combine(modelDir, version));
        }
        finally
        {
            entry.Gate.Release();
        }

        await SyncModelAsync(name, cancellationToken).ConfigureAwait(false);
        return version;
    }

    /// <summary>Re-reads the repository now (also done on file events and every poll interval).</summary>
    public async Task SyncAllAsync(CancellationToken cancellationToken)
    {
        var names = new List<string> { _options.DefaultModel };
        if (Directory.Exists(_options.Root))
        {
            foreach (var dir in Directory.EnumerateDirectories(_options.Root).Order(StringComparer.Ordinal))
            {
                string name = Path.GetFileName(dir);
                if (name != _options.DefaultModel && ModelNames.IsValidName(name))
                {
                    names.Add(name);
                }
            }
        }

        foreach (var name in names.Concat(_models.Keys).Distinct(StringComparer.Ordinal).ToArray())
        {
            await SyncModelAsync(name, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        _watcher?.Dispose();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        foreach (var entry in _models.Values)
        {
            entry.Serving = null;
            foreach (var record in entry.Versions.Values)
            {
                record.State = VersionState.Draining;
                record.Loaded?.Retire();
            }
        }

        await Task.WhenAll(_drains.Keys).ConfigureAwait(false);
        _stop.Dispose();
        _rescan.Dispose();
    }

    private static VersionRecord Newest(Entry entry) =>
        entry.Versions.Values.OrderByDescending(v => long.Parse(v.Version, System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault()
        ?? throw new KeyNotFoundException($"model '{entry.Name}' has no complete version");

    private static VersionRecord Existing(Entry entry, string version) =>
        entry.Versions.TryGetValue(version, out var record)
            ? record
            : throw new KeyNotFoundException($"model '{entry.Name}' has no complete version '{version}'");

    private ModelStatus Status(Entry entry)
    {
        var aliases = entry.Aliases;
        var versions = entry.Versions.Values
            .OrderBy(v => long.Parse(v.Version, System.Globalization.CultureInfo.InvariantCulture))
            .Select(v => new VersionStatus(v.Version, v.State, v.Reason, v.Loaded?.InFlight ?? 0, aliases.Where(a => a.Value == v.Version).Select(a => a.Key).Order(StringComparer.Ordinal).ToArray()))
            .ToArray();
        return new ModelStatus(entry.Name, entry.Serving?.Version, aliases, versions);
    }

    private async Task<Entry> EnterAsync(string name, CancellationToken cancellationToken, bool create = false)
    {
        ModelNames.CheckName(name);
        Entry? entry;
        if (create || Directory.Exists(Path.Combine(_options.Root, name)))
        {
            entry = _models.GetOrAdd(name, n => new Entry(n, Path.Combine(_options.Root, n)));
        }
        else if (!_models.TryGetValue(name, out entry))
        {
            throw new KeyNotFoundException($"model '{name}' not found in the repository");
        }

        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        return entry;
    }

    private async Task SyncModelAsync(string name, CancellationToken cancellationToken)
    {
        var entry = _models.GetOrAdd(name, n => new Entry(n, Path.Combine(_options.Root, n)));
        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Rescan(entry);

            // A failed version is retried only once its files change.
            foreach (var record in entry.Versions.Values)
            {
                if (record.State == VersionState.Failed && record.Stamp != VersionFolder.Stamp(Path.Combine(entry.Directory, record.Version)))
                {
                    record.State = VersionState.Available;
                }
            }

            await ApplyPolicyLockedAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            entry.Error = ex.Message;
            LogSyncFailed(_logger, name, ex.Message);
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Loads the versions the policy wants (newest first), then retires the ones it no longer wants.</summary>
    private async Task ApplyPolicyLockedAsync(Entry entry, CancellationToken cancellationToken)
    {
        var desired = Desired(entry);

        // Newest first, so a new version starts serving as soon as it is ready.
        foreach (var record in desired.OrderByDescending(r => long.Parse(r.Version, System.Globalization.CultureInfo.InvariantCulture)))
        {
            if (record.State == VersionState.Available)
            {
                await LoadLockedAsync(entry, record, cancellationToken).ConfigureAwait(false);
                RecomputeServing(entry);
            }
        }

        // Recomputed: versions that just failed must not count as the newest.
        desired = Desired(entry);
        foreach (var record in entry.Versions.Values)
        {
            if (record.State == VersionState.Ready && !desired.Contains(record))
            {
                RetireLocked(entry, record);
            }
        }

        RecomputeServing(entry);
    }

    /// <summary>Refreshes config and the version records from disk (under the model's gate).</summary>
    private void Rescan(Entry entry)
    {
        if (!Directory.Exists(entry.Directory))
        {
            entry.Error = $"model '{entry.Name}' not found: directory '{entry.Directory}' does not exist";
            foreach (var record in entry.Versions.Values.ToArray())
            {
                RetireLocked(entry, record);
                entry.Versions.TryRemove(record.Version, out _);
            }

            return;
        }

        entry.Config = ModelConfig.Load(entry.Directory);
        entry.Aliases = entry.Config.Aliases.ToFrozenDictionary(StringComparer.Ordinal);
        entry.Error = null;
        var now = DateTime.UtcNow;
        var onDisk = new HashSet<string>(StringComparer.Ordinal);
        foreach (var dir in Directory.EnumerateDirectories(entry.Directory))
        {
            string version = Path.GetFileName(dir);
            if (!ModelNames.TryParseVersion(version, out _) || !VersionFolder.IsComplete(dir, _options.Settle, now))
            {
                continue;
            }

            onDisk.Add(version);
            entry.Versions.GetOrAdd(version, v => new VersionRecord(v));
        }

        foreach (var record in entry.Versions.Values.ToArray())
        {
            if (!onDisk.Contains(record.Version))
            {
                RetireLocked(entry, record);
                if (record.Loaded is null)
                {
                    entry.Versions.TryRemove(record.Version, out _);
                }
            }
        }

        if (entry.Versions.IsEmpty)
        {
            entry.Error = $"model '{entry.Name}' has no complete version folder (a number holding model.onnx) under '{entry.Directory}'";
        }
    }

    /// <summary>
    /// The newest N complete versions that have not failed, plus every aliased one, minus explicit unloads.
    /// A version that failed to load does not count, so it never pushes the serving version out.
    /// </summary>
    private static HashSet<VersionRecord> Desired(Entry entry)
    {
        var newest = entry.Versions.Values
            .Where(v => !entry.UnloadedByRequest.Contains(v.Version) && v.State != VersionState.Failed)
            .OrderByDescending(v => long.Parse(v.Version, System.Globalization.CultureInfo.InvariantCulture))
            .Take(Math.Max(1, entry.Config.LatestVersions));
        var aliased = entry.Aliases.Values.Where(v => entry.Versions.ContainsKey(v) && !entry.UnloadedByRequest.Contains(v)).Select(v => entry.Versions[v]);
        return newest.Concat(aliased).ToHashSet();
    }

    private async Task SetAliasLockedAsync(Entry entry, string alias, string version, bool recordHistory, CancellationToken cancellationToken, bool rescan = true)
    {
        if (rescan)
        {
            Rescan(entry);
        }

        var record = Existing(entry, version);
        entry.UnloadedByRequest.Remove(version);
        if (record.State != VersionState.Ready)
        {
            await LoadLockedAsync(entry, record, cancellationToken).ConfigureAwait(false);
            if (record.State != VersionState.Ready)
            {
                throw new ModelLoadException($"model '{entry.Name}' version {version} failed to load: {record.Reason}");
            }
        }

        entry.Config.Aliases[alias] = version;
        if (alias == Production && recordHistory && (entry.Config.History.Count == 0 || entry.Config.History[^1] != version))
        {
            entry.Config.History.Add(version);
        }

        SaveConfig(entry);
        RecomputeServing(entry);

        // Versions neither newest nor aliased any more are retired (at most two stay resident).
        var desired = Desired(entry);
        foreach (var other in entry.Versions.Values)
        {
            if (other.State == VersionState.Ready && !desired.Contains(other))
            {
                RetireLocked(entry, other);
            }
        }

        RecomputeServing(entry);
    }

    private static void SaveConfig(Entry entry)
    {
        entry.Config.Save(entry.Directory);
        entry.Aliases = entry.Config.Aliases.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private async Task LoadLockedAsync(Entry entry, VersionRecord record, CancellationToken cancellationToken)
    {
        // At most two versions resident: the one serving and the one loading. Wait for drained ones to go.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (entry.Versions.Values.Any(v => v.State == VersionState.Draining && v.Loaded is not null) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        string dir = Path.Combine(entry.Directory, record.Version);
        record.State = VersionState.Loading;
        record.Stamp = VersionFolder.Stamp(dir);
        try
        {
            string path = Path.Combine(dir, VersionFolder.ModelFile);
            byte[] bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            string? outside;
            try
            {
                outside = OnnxExternalData.CheckInside(bytes, dir);
            }
            catch (InvalidDataException ex)
            {
                throw new ModelLoadException($"not a loadable ONNX model: {ex.Message}", ex);
            }

            if (outside is not null)
            {
                throw new ModelLoadException(outside);
            }

            ModelManifest? manifest;
            try
            {
                manifest = ModelManifest.LoadOptional(dir);
            }
            catch (InvalidDataException ex)
            {
                throw new ModelLoadException(ex.Message, ex);
            }

            var model = await Task.Run(() => ModelLoader.Load(path, manifest, _options.Session, entry.Name, record.Version, _logger), cancellationToken).ConfigureAwait(false);
            record.Loaded = new LoadedVersion(model, OnDrained);
            record.Reason = null;
            record.State = VersionState.Ready;
            ServerMetrics.ModelLoaded(model.Name, model.Version, model.Provider.ToString().ToLowerInvariant());
            LogVersionLoaded(_logger, entry.Name, record.Version);
        }
        catch (Exception ex) when (ex is ModelLoadException or IOException or UnauthorizedAccessException)
        {
            record.State = VersionState.Failed;
            record.Reason = ex.Message;
            ServerMetrics.ModelLoadFailures.WithLabels(entry.Name).Inc();
            LogVersionFailed(_logger, entry.Name, record.Version, ex.Message);
        }
    }

    private void RetireLocked(Entry entry, VersionRecord record)
    {
        if (record.State != VersionState.Ready)
        {
            if (record.State is VersionState.Failed or VersionState.Loading)
            {
                record.State = VersionState.Available;
            }

            return;
        }

        record.State = VersionState.Draining;
        RecomputeServing(entry);
        record.Loaded!.Retire();
    }

    private void RecomputeServing(Entry entry)
    {
        LoadedVersion? target = null;
        if (entry.Aliases.TryGetValue(Production, out var production) && entry.Versions.TryGetValue(production, out var p) && p.State == VersionState.Ready)
        {
            target = p.Loaded;
        }

        target ??= entry.Versions.Values
            .Where(v => v.State == VersionState.Ready)
            .OrderByDescending(v => long.Parse(v.Version, System.Globalization.CultureInfo.InvariantCulture))
            .Select(v => v.Loaded)
            .FirstOrDefault();

        var previous = entry.Serving;
        if (!ReferenceEquals(previous, target))
        {
            entry.Serving = target; // The atomic switch: new frames lease the new version from here on.
            ServerMetrics.ModelSwaps.WithLabels(entry.Name).Inc();
            LogServing(_logger, entry.Name, target?.Version ?? "none", previous?.Version ?? "none");
        }
    }

    private void OnDrained(LoadedVersion version)
    {
        var task = Task.Run(async () =>
        {
            try
            {
                await _beforeDispose(version.Model).ConfigureAwait(false);
            }
            finally
            {
                version.Model.Dispose();
                NativeHeap.Trim();
                ServerMetrics.ModelUnloaded(version.Model.Name, version.Model.Version, version.Model.Provider.ToString().ToLowerInvariant());
                if (_models.TryGetValue(version.Model.Name, out var entry) && entry.Versions.TryGetValue(version.Version, out var record) && ReferenceEquals(record.Loaded, version))
                {
                    record.Loaded = null;
                    if (record.State == VersionState.Draining)
                    {
                        record.State = VersionState.Available;
                    }
                }

                LogVersionDisposed(_logger, version.Model.Name, version.Version);
            }
        });
        _drains.TryAdd(task, 0);
        task.ContinueWith(t => _drains.TryRemove(t, out _), TaskScheduler.Default);
    }

    private void SignalRescan()
    {
        try
        {
            _rescan.Release();
        }
        catch (SemaphoreFullException)
        {
            // A rescan is already pending.
        }
        catch (ObjectDisposedException)
        {
            // Shutting down.
        }
    }

    private async Task WatchLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                if (await _rescan.WaitAsync(_options.PollInterval, token).ConfigureAwait(false))
                {
                    await Task.Delay(100, token).ConfigureAwait(false); // Let a burst of file events settle.
                }

                await SyncAllAsync(token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                LogSyncFailed(_logger, "*", ex.Message);
            }
        }
    }

    [LoggerMessage(40, LogLevel.Information, "Model {Model} version {Version} loaded and validated")]
    private static partial void LogVersionLoaded(ILogger logger, string model, string version);

    [LoggerMessage(41, LogLevel.Error, "Model {Model} version {Version} failed to load: {Error}")]
    private static partial void LogVersionFailed(ILogger logger, string model, string version, string error);

    [LoggerMessage(42, LogLevel.Information, "Model {Model} now served by version {Version} (was {Previous})")]
    private static partial void LogServing(ILogger logger, string model, string version, string previous);

    [LoggerMessage(43, LogLevel.Information, "Model {Model} version {Version} drained and disposed")]
    private static partial void LogVersionDisposed(ILogger logger, string model, string version);

    [LoggerMessage(44, LogLevel.Warning, "Repository scan of {Model} failed: {Error}")]
    private static partial void LogSyncFailed(ILogger logger, string model, string error);

    [LoggerMessage(45, LogLevel.Information, "Model {Model} rolled back from version {From} to {To}")]
    private static partial void LogRolledBack(ILogger logger, string model, string from, string to);

    private sealed class Entry
    {
        private LoadedVersion? _serving;

        public Entry(string name, string directory)
        {
            Name = name;
            Directory = directory;
        }

        public string Name { get; }

        public string Directory { get; }

        public SemaphoreSlim Gate { get; } = new(1, 1);

        public ConcurrentDictionary<string, VersionRecord> Versions { get; } = new(StringComparer.Ordinal);

        public HashSet<string> UnloadedByRequest { get; } = new(StringComparer.Ordinal);

        public ModelConfig Config { get; set; } = new();

        /// <summary>Immutable snapshot read by the hot path.</summary>
        public FrozenDictionary<string, string> Aliases { get; set; } = FrozenDictionary<string, string>.Empty;

        public LoadedVersion? Serving
        {
            get => Volatile.Read(ref _serving);
            set => Volatile.Write(ref _serving, value);
        }

        public string? Error { get; set; }
    }

    private sealed class VersionRecord
    {
        public VersionRecord(string version)
        {
            Version = version;
        }

        public string Version { get; }

        private volatile VersionState _state;

        public VersionState State
        {
            get => _state;
            set => _state = value;
        }

        public string? Reason { get; set; }

        public string? Stamp { get; set; }

        public LoadedVersion? Loaded { get; set; }
    }
}
