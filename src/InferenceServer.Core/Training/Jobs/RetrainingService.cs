using System.Collections.Concurrent;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Registry;
using InferenceServer.Core.Training.Datasets;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Training.Jobs;

/// <summary>
/// The retraining hook: jobs (one at a time per model, queued otherwise) that export a dataset version, train
/// from the base version's checkpoint, validate the candidate against the serving version on held-out data, then
/// register it as "candidate" and, when asked, promote it through the registry's zero-downtime swap.
/// Job state lives on disk; a job running when the server stopped is marked failed (interrupted) at start.
/// </summary>
internal sealed partial class RetrainingService : IAsyncDisposable
{
    private readonly TrainingOptions _options;
    private readonly ModelRegistry _registry;
    private readonly DatasetStore _datasets;
    private readonly JobStore _store;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RetrainJob> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _cancel = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<TrainerOutput>> _deliveries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _tails = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _lock = new();

    public RetrainingService(TrainingOptions options, ModelRegistry registry, DatasetStore datasets, JobStore store, HttpClient http, ILogger logger)
    {
        _options = options;
        _registry = registry;
        _datasets = datasets;
        _store = store;
        _http = http;
        _logger = logger;
    }

    /// <summary>Loads jobs from disk: interrupted ones are marked failed, queued ones are queued again.</summary>
    public void Start()
    {
        foreach (var job in _store.LoadAll().OrderBy(j => j.CreatedAt))
        {
            var current = job;
            if (job.State is JobState.Training or JobState.Validating)
            {
                current = job with { State = JobState.Failed, Error = "interrupted: the server stopped while the job was running", FinishedAt = DateTimeOffset.UtcNow };
                _store.Save(current);
                _store.AppendLog(job.Id, current.Error!);
            }

            _jobs[current.Id] = current;
            if (current.State == JobState.Queued)
            {
                Enqueue(current);
            }
        }
    }

    public async Task<RetrainJob> CreateAsync(JobRequest request, CancellationToken cancellationToken)
    {
        if (request.Validate() is string error)
        {
            throw new DatasetException(error);
        }

        using var baseLease = _registry.Acquire(request.Model, request.BaseVersion)
            ?? throw new DatasetException($"model '{request.Model}' version '{request.BaseVersion ?? "serving"}' is not loaded.", notFound: true);
        var dataset = _datasets.Get(request.Dataset, create: false);
        var version = request.DatasetVersion is int v
            ? dataset.Snapshot(v).Version
            : await dataset.CreateVersionAsync(cancellationToken).ConfigureAwait(false);
        var unknown = request.Categories.Where(c => !version.Categories.Contains(c)).ToArray();
        if (unknown.Length > 0)
        {
            throw new DatasetException($"categories {string.Join(", ", unknown)} have no labelled examples in dataset '{request.Dataset}' version {version.Version}.");
        }

        var job = new RetrainJob
        {
            Id = $"job-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}",
            Request = request,
            BaseVersion = baseLease.Model.Version,
            DatasetVersion = version.Version,
            State = JobState.Queued,
            CallbackToken = request.Trainer == "webhook" ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)) : null,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        _jobs[job.Id] = job;
        _store.Save(job);
        _store.AppendLog(job.Id, $"created: {request.Model} v{job.BaseVersion} + {string.Join(",", request.Categories)} on {request.Dataset} v{version.Version} ({request.Trainer})");
        Enqueue(job);
        return job;
    }

    public RetrainJob? Get(string id) => _jobs.GetValueOrDefault(id);

    public IReadOnlyList<RetrainJob> List() => _jobs.Values.OrderByDescending(j => j.CreatedAt).ToArray();

    public IReadOnlyList<string> Log(string id, int maxLines) => _jobs.ContainsKey(id) ? _store.ReadLog(id, maxLines) : [];

    /// <summary>Cancels a queued or running job; false when it is unknown or already finished.</summary>
    public bool Cancel(string id)
    {
        if (!_jobs.TryGetValue(id, out var job) || job.IsFinished)
        {
            return false;
        }

        if (_cancel.TryGetValue(id, out var cts))
        {
            cts.Cancel();
        }
        else
        {
            Update(id, j => j.State == JobState.Queued ? j with { State = JobState.Cancelled, FinishedAt = DateTimeOffset.UtcNow } : j);
        }

        return true;
    }

    /// <summary>Checks a webhook job's callback token (constant time).</summary>
    public bool TokenMatches(string id, string? token) =>
        _jobs.TryGetValue(id, out var job) && job.CallbackToken is { } expected && token is not null
        && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(expected), System.Text.Encoding.UTF8.GetBytes(token));

    /// <summary>The training split of a job's dataset version as a YOLO-format zip (for external trainers).</summary>
    public string ExportDatasetZip(string id)
    {
        var job = _jobs[id];
        string dir = Path.Combine(_store.DirectoryOf(id), "dataset");
        string zip = Path.Combine(_store.DirectoryOf(id), "dataset.zip");
        if (!File.Exists(zip))
        {
            var snapshot = _datasets.Get(job.Request.Dataset, create: false).Snapshot(job.DatasetVersion);
            ExportTrainingSplit(snapshot, dir);
            ZipFile.CreateFromDirectory(dir, zip + ".tmp");
            File.Move(zip + ".tmp", zip, overwrite: true);
        }

        return zip;
    }

    /// <summary>An external pipeline delivers the trained model for a webhook job.</summary>
    public async Task<bool> DeliverAsync(string id, Stream onnx, Stream? checkpoint, CancellationToken cancellationToken)
    {
        if (!_deliveries.TryGetValue(id, out var waiting))
        {
            return false;
        }

        string outDir = Path.Combine(_store.DirectoryOf(id), "out");
        Directory.CreateDirectory(outDir);
        string onnxPath = Path.Combine(outDir, "model.onnx");
        await using (var f = File.Create(onnxPath))
        {
            await onnx.CopyToAsync(f, cancellationToken).ConfigureAwait(false);
        }

        string? checkpointPath = null;
        if (checkpoint is not null)
        {
            checkpointPath = Path.Combine(outDir, "checkpoint.pt");
            await using var f = File.Create(checkpointPath);
            await checkpoint.CopyToAsync(f, cancellationToken).ConfigureAwait(false);
        }

        return waiting.TrySetResult(new TrainerOutput(onnxPath, checkpointPath));
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var cts in _cancel.Values)
        {
            await cts.CancelAsync().ConfigureAwait(false);
        }

        Task[] tails;
        lock (_lock)
        {
            tails = [.. _tails.Values];
        }

        await Task.WhenAll(tails).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static void ExportTrainingSplit(DatasetSnapshot snapshot, string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }

        YoloFormat.Export(snapshot, snapshot.Train, snapshot.Version.Categories, directory);
    }

    private void Enqueue(RetrainJob job)
    {
        // One job at a time per model: each job runs after the previous one of the same model (FIFO).
        lock (_lock)
        {
            var previous = _tails.GetValueOrDefault(job.Request.Model, Task.CompletedTask);
            _tails[job.Request.Model] = previous.ContinueWith(_ => RunAsync(job.Id), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
        }
    }

    private async Task RunAsync(string id)
    {
        var job = _jobs[id];
        if (job.State != JobState.Queued || _stopping.IsCancellationRequested)
        {
            return;
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _cancel[id] = cts;
        var ct = cts.Token;
        var started = DateTimeOffset.UtcNow;
        Update(id, j => j with { State = JobState.Training, StartedAt = started });
        try
        {
            var snapshot = _datasets.Get(job.Request.Dataset, create: false).Snapshot(job.DatasetVersion);
            string jobDir = _store.DirectoryOf(id);
            string dataDir = Path.Combine(jobDir, "dataset");
            ExportTrainingSplit(snapshot, dataDir);
            _store.AppendLog(id, $"exported {snapshot.Train.Count()} training images ({snapshot.Holdout.Count()} held out) of {snapshot.Dataset} v{snapshot.Version.Version}");

            string? baseDir = _registry.VersionDirectory(job.Request.Model, job.BaseVersion);
            string? checkpoint = baseDir is null ? null : Path.Combine(baseDir, "checkpoint.pt");
            if (checkpoint is not null && !File.Exists(checkpoint))
            {
                checkpoint = null;
                _store.AppendLog(id, $"base version {job.BaseVersion} has no checkpoint.pt: training from scratch");
            }

            string outDir = Path.Combine(jobDir, "out");
            Directory.CreateDirectory(outDir);
            ITrainer trainer = job.Request.Trainer == "webhook"
                ? new WebhookTrainer(_options, _http, AwaitDelivery)
                : new ProcessTrainer(_options);
            var output = await trainer.TrainAsync(
                new TrainerContext(job, dataDir, checkpoint, outDir, p => Update(id, j => j with { Progress = p }), line => _store.AppendLog(id, line)),
                ct).ConfigureAwait(false);

            Update(id, j => j with { State = JobState.Validating });
            var report = await ValidateAsync(job, output, snapshot, ct).ConfigureAwait(false);
            _store.AppendLog(id, $"gate {(report.Passed ? "passed" : "failed")}: " + string.Join("; ", report.Classes.Select(c => $"{c.Key} {c.Value.CandidateAp:F3} (serving {c.Value.ProductionAp?.ToString("F3", System.Globalization.CultureInfo.InvariantCulture) ?? "-"})")));
            if (!report.Passed)
            {
                Update(id, j => j with { State = JobState.Rejected, Report = report, FinishedAt = DateTimeOffset.UtcNow, Error = string.Join(" ", report.Reasons) });
                return;
            }

            string manifest = BuildManifest(job, snapshot, report, baseDir, started);
            var extra = output.CheckpointPath is null ? null : new Dictionary<string, string> { ["checkpoint.pt"] = output.CheckpointPath };
            string version = await _registry.UploadAsync(job.Request.Model, await File.ReadAllBytesAsync(output.OnnxPath, ct).ConfigureAwait(false), manifest, extra, ct).ConfigureAwait(false);
            await _registry.SetAliasAsync(job.Request.Model, "candidate", version, ct).ConfigureAwait(false);
            _store.AppendLog(id, $"registered {job.Request.Model} v{version} as candidate");
            bool promoted = false;
            if (job.Request.Promote)
            {
                await _registry.PromoteAsync(job.Request.Model, version, ct).ConfigureAwait(false);
                promoted = true;
                _store.AppendLog(id, $"promoted {job.Request.Model} v{version} to production");
            }

            Update(id, j => j with { State = JobState.Succeeded, Report = report, ResultVersion = version, Promoted = promoted, FinishedAt = DateTimeOffset.UtcNow });
            LogSucceeded(_logger, id, job.Request.Model, version, promoted);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            bool stopping = _stopping.IsCancellationRequested;
            Update(id, j => j with
            {
                State = stopping ? JobState.Failed : JobState.Cancelled,
                Error = stopping ? "interrupted: the server stopped while the job was running" : "cancelled",
                FinishedAt = DateTimeOffset.UtcNow,
            });
        }
        catch (Exception ex) when (ex is TrainerException or DatasetException or ModelLoadException or IOException or InvalidOperationException or ArgumentException or KeyNotFoundException or HttpRequestException or InvalidDataException)
        {
            _store.AppendLog(id, "failed: " + ex.Message);
            Update(id, j => j with { State = JobState.Failed, Error = ex.Message, FinishedAt = DateTimeOffset.UtcNow });
            LogFailed(_logger, id, ex.Message);
        }
        finally
        {
            _cancel.TryRemove(id, out _);
            _deliveries.TryRemove(id, out _);
        }
    }

    private async Task<GateReport> ValidateAsync(RetrainJob job, TrainerOutput output, DatasetSnapshot snapshot, CancellationToken ct)
    {
        using var production = _registry.Acquire(job.Request.Model, null)
            ?? throw new InvalidOperationException($"model '{job.Request.Model}' is no longer served");
        using var candidate = ModelLoader.Load(output.OnnxPath, null, _options.EvaluationSession, job.Request.Model, "candidate", _logger);
        return await ValidationGate.EvaluateAsync(
            candidate, production.Model, snapshot, job.Request.Categories,
            job.Request.MinNewAp ?? _options.MinNewAp, job.Request.MaxOldDrop ?? _options.MaxOldDrop, ct).ConfigureAwait(false);
    }

    private static string BuildManifest(RetrainJob job, DatasetSnapshot snapshot, GateReport report, string? baseDir, DateTimeOffset started)
    {
        // Start from the base version's manifest (thresholds, preprocessing); labels come from the new ONNX metadata.
        var manifest = baseDir is not null && ModelManifest.LoadOptional(baseDir) is { } m ? m : new ModelManifest();
        manifest.Labels = null;
        manifest.Provenance = new JsonObject
        {
            ["job"] = job.Id,
            ["base_version"] = job.BaseVersion,
            ["dataset"] = snapshot.Dataset,
            ["dataset_version"] = snapshot.Version.Version,
            ["categories_added"] = new JsonArray(job.Request.Categories.Select(c => (JsonNode?)c).ToArray()),
            ["trainer"] = job.Request.Trainer,
            ["epochs"] = job.Request.Epochs,
            ["train_images"] = snapshot.Train.Count(),
            ["started_at"] = started.ToString("O"),
        };
        manifest.Metrics = new JsonObject { ["validation"] = JsonNode.Parse(JsonSerializer.Serialize(report, DatasetJson.Line)) };
        return manifest.ToJson();
    }

    private Task<TrainerOutput> AwaitDelivery(string id) =>
        _deliveries.GetOrAdd(id, _ => new TaskCompletionSource<TrainerOutput>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    private void Update(string id, Func<RetrainJob, RetrainJob> change)
    {
        lock (_lock)
        {
            var updated = change(_jobs[id]);
            _jobs[id] = updated;
            _store.Save(updated);
        }
    }

    [LoggerMessage(70, LogLevel.Information, "Retraining {Job}: {Model} v{Version} registered (promoted: {Promoted})")]
    private static partial void LogSucceeded(ILogger logger, string job, string model, string version, bool promoted);

    [LoggerMessage(71, LogLevel.Warning, "Retraining {Job} failed: {Error}")]
    private static partial void LogFailed(ILogger logger, string job, string error);
}
