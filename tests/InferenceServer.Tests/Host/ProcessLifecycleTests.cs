using System.Net;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Host;

/// <summary>The server as a process: fail-fast configuration errors, readiness, and SIGTERM.</summary>
public sealed class ProcessLifecycleTests
{
    [Theory]
    [InlineData("--InferenceServer:HttpPort=70000", "InferenceServer:HttpPort")]
    [InlineData("--InferenceServer:GrpcPort=abc", "InferenceServer:GrpcPort")]
    [InlineData("--InferenceServer:Session:Instances=0", "Instances")]
    [InlineData("--InferenceServer:Session:Provider=quantum", "InferenceServer:Session:Provider")]
    public async Task Start_InvalidConfiguration_ExitsWithOneLineNamingTheKey(string arg, string key)
    {
        // The bad value comes last, so it wins over the safe ports before it.
        using var server = ServerProcess.Start("--InferenceServer:HttpPort=0", "--InferenceServer:GrpcPort=0", "--InferenceServer:MetricsPort=0", arg);
        int code = await server.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, code);
        var lines = server.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("error: invalid configuration:", line, StringComparison.Ordinal);
        Assert.Contains(key, line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ThenSigterm_BecomesReadyAndExitsZero()
    {
        using var repo = new TempDirectory();
        TestModelFiles.WriteVersion(repo.Path, "shapes", "1", TestModelFiles.ShapesYoloV8());
        using var server = ServerProcess.Start(
            "--InferenceServer:ListenAddress=127.0.0.1",
            "--InferenceServer:HttpPort=0",
            "--InferenceServer:GrpcPort=0",
            "--InferenceServer:MetricsPort=0",
            $"--InferenceServer:ModelRepository={repo.Path}",
            "--InferenceServer:Session:Provider=Cpu",
            "--InferenceServer:Auth:Enabled=false");
        int port = await server.HttpPortAsync(TimeSpan.FromSeconds(60));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        HttpStatusCode status = 0;
        while (DateTime.UtcNow < deadline && status != HttpStatusCode.OK)
        {
            using var response = await http.GetAsync(new Uri("/v2/health/ready", UriKind.Relative));
            status = response.StatusCode;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(100);
            }
        }

        Assert.Equal(HttpStatusCode.OK, status);
        server.Terminate();
        int code = await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, code);
        Assert.Contains("Application is shutting down", server.Stdout, StringComparison.Ordinal);
    }
}
