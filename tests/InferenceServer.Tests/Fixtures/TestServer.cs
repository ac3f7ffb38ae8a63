using InferenceServer.Hosting;
using Microsoft.AspNetCore.Builder;

namespace InferenceServer.Tests.Fixtures;

/// <summary>The real host, in process, on 127.0.0.1 with every port picked by the OS.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempDirectory _repo;
    private readonly TempDirectory _data;

    private TestServer(WebApplication app, TempDirectory repo, TempDirectory data)
    {
        _app = app;
        _repo = repo;
        _data = data;
        var endpoints = (ListenEndpoints)app.Services.GetService(typeof(ListenEndpoints))!;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoints.HttpPort}") };
        Metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{endpoints.MetricsPort}") };
        GrpcAddress = new Uri($"http://127.0.0.1:{endpoints.GrpcPort}");
    }

    public HttpClient Http { get; }

    public HttpClient Metrics { get; }

    public Uri GrpcAddress { get; }

    /// <summary>The bound ports (for tests that build their own clients, e.g. over TLS).</summary>
    public ListenEndpoints Endpoints => (ListenEndpoints)_app.Services.GetService(typeof(ListenEndpoints))!;

    public string Repository => _repo.Path;

    /// <summary>Training:DataRoot (datasets and jobs) of this server.</summary>
    public string DataRoot => _data.Path;

    public IServiceProvider Services => _app.Services;

    public string AuditLogPath => Path.Combine(_repo.Path, "audit.jsonl");

    /// <summary>Starts a server whose repository holds the given models (name → ONNX bytes, version 1).</summary>
    public static Task<TestServer> StartAsync(IDictionary<string, byte[]>? models = null, string defaultModel = "shapes", params string[] extraArgs)
    {
        models ??= new Dictionary<string, byte[]> { ["shapes"] = TestModelFiles.ShapesYoloV8() };
        return StartAsync(
            repo =>
            {
                foreach (var (name, onnx) in models)
                {
                    TestModelFiles.WriteVersion(repo, name, "1", onnx);
                }
            },
            defaultModel,
            null,
            extraArgs);
    }

    /// <summary>Starts a server on a repository prepared by <paramref name="populate"/> (and a data root, e.g. reused across a restart).</summary>
    public static async Task<TestServer> StartAsync(Action<string> populate, string defaultModel, TempDirectory? data, params string[] extraArgs)
    {
        var repo = new TempDirectory();
        populate(repo.Path);
        data ??= new TempDirectory();

        string[] args =
        [
            "--InferenceServer:ListenAddress=127.0.0.1",
            "--InferenceServer:HttpPort=0",
            "--InferenceServer:GrpcPort=0",
            "--InferenceServer:MetricsPort=0",
            $"--InferenceServer:ModelRepository={repo.Path}",
            $"--InferenceServer:DefaultModel={defaultModel}",
            "--InferenceServer:Session:Provider=Cpu",
            "--InferenceServer:Session:IntraOpThreads=1",
            "--Logging:LogLevel:Default=Warning",
            "--InferenceServer:Auth:Enabled=false", // tests of auth pass keys and Enabled=true after this
            $"--InferenceServer:AuditLogPath={Path.Combine(repo.Path, "audit.jsonl")}",
            $"--InferenceServer:Training:DataRoot={data.Path}",
            $"--InferenceServer:Training:WorkingDirectory={RepoPaths.Root}",
            .. extraArgs,
        ];
        var app = ServerApp.Build(args);
        await app.StartAsync();
        return new TestServer(app, repo, data);
    }

    /// <summary>Polls readiness until it answers 200 (or the timeout passes).</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await Http.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Metrics.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _repo.Dispose();
        if (!KeepData)
        {
            _data.Dispose();
        }
    }

    /// <summary>Keep the data root when disposing (a test restarts a server on it).</summary>
    public bool KeepData { get; set; }
}
