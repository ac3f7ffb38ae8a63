using System.Security.Cryptography;
using System.Text.Json;
using InferenceServer.Core.Imaging;

namespace InferenceServer.Core.Training.Datasets;

/// <summary>
/// One dataset on disk: objects/ holds each image once under its SHA-256; examples.jsonl is an append-only log
/// of (image, labels); versions.jsonl freezes prefixes of that log, so a training job names exactly what it used.
/// New category names extend the label map (ordered by first appearance); ids of existing ones never change.
/// </summary>
internal sealed class Dataset
{
    private const string LogFile = "examples.jsonl";
    private const string VersionsFile = "versions.jsonl";
    private readonly string _root;
    private readonly ImageLimits _limits;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Example> _log = [];
    private readonly List<DatasetVersion> _versions = [];

    private Dataset(string name, string root, ImageLimits limits)
    {
        Name = name;
        _root = root;
        _limits = limits;
    }

    public string Name { get; }

    public string ObjectsDirectory => Path.Combine(_root, "objects");

    public static Dataset Open(string name, string root, ImageLimits limits)
    {
        var dataset = new Dataset(name, root, limits);
        Directory.CreateDirectory(dataset.ObjectsDirectory);
        dataset.Load();
        return dataset;
    }

    /// <summary>Validates and appends one example. Returns it and whether the same image with the same labels was already there.</summary>
    public async Task<(Example Example, bool Duplicate)> AddAsync(byte[] image, IReadOnlyList<LabeledBox>? boxes, string source, CancellationToken cancellationToken)
    {
        var (width, height, extension) = ExampleValidator.CheckImage(image, _limits);
        if (boxes is not null)
        {
            ExampleValidator.CheckBoxes(boxes, width, height);
        }

        string id = Convert.ToHexStringLower(SHA256.HashData(image));
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = _log.LastOrDefault(e => e.Id == id);

            // An unlabelled copy (a capture of a static scene, a re-upload) adds nothing and never erases labels.
            if (current is not null && (boxes is null || SameLabels(current.Boxes, boxes)))
            {
                return (current, true);
            }

            string file = current?.File ?? id + extension;
            string path = Path.Combine(ObjectsDirectory, file);
            if (!File.Exists(path))
            {
                // Written aside and renamed: an object is complete or absent, never half-written.
                string temp = path + ".tmp";
                await File.WriteAllBytesAsync(temp, image, cancellationToken).ConfigureAwait(false);
                File.Move(temp, path, overwrite: true);
            }

            var example = new Example { Id = id, File = file, Width = width, Height = height, Boxes = boxes, AddedAt = DateTimeOffset.UtcNow, Source = source };
            await AppendAsync(LogFile, example).ConfigureAwait(false);
            lock (_log)
            {
                _log.Add(example);
            }

            return (example, false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Freezes the log as it is now into a new version (or returns the latest when nothing changed).</summary>
    public async Task<DatasetVersion> CreateVersionAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_versions.Count > 0 && _versions[^1].LogLength == _log.Count)
            {
                return _versions[^1];
            }

            var version = new DatasetVersion(_versions.Count + 1, _log.Count, CategoriesOf(_log.Count), DateTimeOffset.UtcNow);
            await AppendAsync(VersionsFile, version).ConfigureAwait(false);
            lock (_log)
            {
                _versions.Add(version);
            }

            return version;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The labelled examples of a version (the latest when null); throws when it does not exist.</summary>
    public DatasetSnapshot Snapshot(int? version)
    {
        lock (_log)
        {
            var v = version is int n
                ? _versions.FirstOrDefault(x => x.Version == n) ?? throw new DatasetException($"dataset '{Name}' has no version {n}.", notFound: true)
                : _versions.LastOrDefault() ?? throw new DatasetException($"dataset '{Name}' has no version yet.", notFound: true);

            // Later lines for an image replace earlier ones; unlabelled images are not training data.
            var latest = new Dictionary<string, Example>();
            foreach (var e in _log.Take(v.LogLength))
            {
                latest[e.Id] = e;
            }

            return new DatasetSnapshot(Name, v, latest.Values.Where(e => e.Boxes is not null).ToArray(), ObjectsDirectory);
        }
    }

    public DatasetSummary Summary()
    {
        lock (_log)
        {
            var latest = new Dictionary<string, Example>();
            foreach (var e in _log)
            {
                latest[e.Id] = e;
            }

            var labelled = latest.Values.Where(e => e.Boxes is not null).ToArray();
            var counts = labelled.SelectMany(e => e.Boxes!).GroupBy(b => b.Label).ToDictionary(g => g.Key, g => g.Count());
            return new DatasetSummary(
                Name,
                latest.Count,
                labelled.Length,
                latest.Count - labelled.Length,
                labelled.Count(e => e.Holdout),
                CategoriesOf(_log.Count),
                counts,
                [.. _versions]);
        }
    }

    /// <summary>Unlabelled examples (captures waiting for labels).</summary>
    public IReadOnlyList<Example> Unlabelled()
    {
        lock (_log)
        {
            var latest = new Dictionary<string, Example>();
            foreach (var e in _log)
            {
                latest[e.Id] = e;
            }

            return latest.Values.Where(e => e.Boxes is null).ToArray();
        }
    }

    private IReadOnlyList<string> CategoriesOf(int logLength)
    {
        var categories = new List<string>();
        foreach (var e in _log.Take(logLength))
        {
            foreach (var b in e.Boxes ?? [])
            {
                if (!categories.Contains(b.Label))
                {
                    categories.Add(b.Label);
                }
            }
        }

        return categories;
    }

    private static bool SameLabels(IReadOnlyList<LabeledBox>? a, IReadOnlyList<LabeledBox>? b) =>
        a is null ? b is null : b is not null && a.SequenceEqual(b);

    private async Task AppendAsync<T>(string file, T entry)
    {
        string line = JsonSerializer.Serialize(entry, DatasetJson.Line) + "\n";
        await File.AppendAllTextAsync(Path.Combine(_root, file), line).ConfigureAwait(false);
    }

    private void Load()
    {
        foreach (var e in ReadLines<Example>(LogFile))
        {
            _log.Add(e);
        }

        foreach (var v in ReadLines<DatasetVersion>(VersionsFile))
        {
            _versions.Add(v);
        }
    }

    private IEnumerable<T> ReadLines<T>(string file)
    {
        string path = Path.Combine(_root, file);
        if (!File.Exists(path))
        {
            yield break;
        }

        foreach (var line in File.ReadLines(path))
        {
            // A line cut short by a crash mid-append is skipped; everything before it stands.
            T? item = default;
            try
            {
                item = string.IsNullOrWhiteSpace(line) ? default : JsonSerializer.Deserialize<T>(line, DatasetJson.Line);
            }
            catch (JsonException)
            {
            }

            if (item is not null)
            {
                yield return item;
            }
        }
    }
}
