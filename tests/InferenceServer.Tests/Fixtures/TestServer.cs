using InferenceServer.Hosting;
using Microsoft.AspNetCore.Builder;

namespace InferenceServer.Tests.Fixtures;

/// <summary>The real host, in process, on 127.0.0.1 with every port picked by the OS.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TempDirectory _repo;

    private TestServer(WebApplication app, TempDirectory repo)
    {
        _app = app;
        _repo = repo;
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

    public string AuditLogPath => Path.Combine(_repo.Path, "audit.jsonl");

    /// <summary>Starts a server whose repository holds the given models (name → ONNX bytes, version 1).</summary>
    public static async Task<TestServer> StartAsync(IDictionary<string, byte[]>? models = null, string defaultModel = "shapes", params string[] extraArgs)
    {
        var repo = new TempDirectory();
        models ??= new Dictionary<string, byte[]> { ["shapes"] = TestModelFiles.ShapesYoloV8() };
        foreach (var (name, onnx) in models)
        {
            TestModelFiles.WriteVersion(repo.Path, name, "1", onnx);
        }

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
            .. extraArgs,
        ];
        var app = ServerApp.Build(args);
        await app.StartAsync();
        return new TestServer(app, repo);
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
    }
}
