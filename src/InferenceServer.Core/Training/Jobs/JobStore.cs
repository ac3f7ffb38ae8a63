using System.Text.Json;
using InferenceServer.Core.Training.Datasets;

namespace InferenceServer.Core.Training.Jobs;

/// <summary>Jobs on disk: jobs/&lt;id&gt;/job.json (replaced atomically on every change) and log.txt (appended).</summary>
internal sealed class JobStore
{
    private readonly string _root;
    private readonly object _lock = new();

    public JobStore(string root)
    {
        _root = root;
        Directory.CreateDirectory(root);
    }

    public string DirectoryOf(string id) => Path.Combine(_root, id);

    public void Save(RetrainJob job)
    {
        string dir = DirectoryOf(job.Id);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "job.json");
        lock (_lock)
        {
            File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(job, DatasetJson.Line));
            File.Move(path + ".tmp", path, overwrite: true);
        }
    }

    public void AppendLog(string id, string line)
    {
        lock (_lock)
        {
            File.AppendAllText(Path.Combine(DirectoryOf(id), "log.txt"), $"{DateTimeOffset.UtcNow:O} {line}\n");
        }
    }

    /// <summary>The last <paramref name="maxLines"/> lines of a job's log.</summary>
    public IReadOnlyList<string> ReadLog(string id, int maxLines)
    {
        string path = Path.Combine(DirectoryOf(id), "log.txt");
        lock (_lock)
        {
            return File.Exists(path) ? File.ReadLines(path).TakeLast(maxLines).ToArray() : [];
        }
    }

    public IEnumerable<RetrainJob> LoadAll()
    {
        foreach (var dir in Directory.EnumerateDirectories(_root))
        {
            string path = Path.Combine(dir, "job.json");
            RetrainJob? job = null;
            try
            {
                job = File.Exists(path) ? JsonSerializer.Deserialize<RetrainJob>(File.ReadAllText(path), DatasetJson.Line) : null;
            }
            catch (JsonException)
            {
                // A corrupt job file is left for inspection; it does not stop the server.
            }

            if (job is not null)
            {
                yield return job;
            }
        }
    }
}
