using System.Text.Json;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Cli;

/// <summary>The `infer` command-line tool as a user runs it, against the real host.</summary>
public sealed class CliTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        var models = new Dictionary<string, byte[]> { ["shapes"] = TestModelFiles.ShapesYoloV8() };
        _server = await TestServer.StartAsync(models);
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Detect_Json_PrintsExactlyOneObjectWithBoxesInImagePixels()
    {
        var (image, box) = TestImages.WhiteBox(640, 360, 50, 60, 100, 80);
        string path = _dir.File("img.png");
        using (image)
        {
            await File.WriteAllBytesAsync(path, TestImages.Encode(image));
        }

        var (code, stdout, stderr) = await RunAsync("detect", path, "--json", "--server", _server.Http.BaseAddress!.ToString().TrimEnd('/'), "--out", _dir.File("annotated.jpg"));
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout.Trim()); // throws if there is anything besides one object
        var root = json.RootElement;
        Assert.Equal("shapes", root.GetProperty("model").GetString());
        Assert.Equal("1", root.GetProperty("version").GetString());
        var d = Assert.Single(root.GetProperty("detections").EnumerateArray());
        Assert.Equal("square", d.GetProperty("label").GetString());
        Assert.Equal(1, d.GetProperty("class_id").GetInt32());
        Assert.InRange(d.GetProperty("box")[0].GetSingle(), box[0] - 2, box[0] + 2);
        Assert.True(new FileInfo(_dir.File("annotated.jpg")).Length > 0);
    }

    [Fact]
    public async Task Stream_TwoStreamsBlockMode_ProcessesAllFramesAndSummarises()
    {
        string video = _dir.File("v.mp4");
        SyntheticVideoWriter.Write(video, new SceneOptions { Width = 320, Height = 180 }, 20, 30, 5, 3);
        var (code, stdout, stderr) = await RunAsync(
            "stream", video, "--streams", "2", "--mode", "block", "--fps", "0", "--server", _server.GrpcAddress.ToString().TrimEnd('/'),
            "--out", _dir.File("annotated.mp4"));
        Assert.True(code == 0, stderr);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal(40, json.RootElement.GetProperty("results").GetInt64());
        Assert.Equal(0, json.RootElement.GetProperty("dropped").GetInt64());
        Assert.True(json.RootElement.GetProperty("latency_ms").GetProperty("p99").GetDouble() > 0);
        Assert.True(new FileInfo(_dir.File("annotated.mp4")).Length > 0);
    }

    [Fact]
    public async Task Detect_MissingFile_ExitsNonZeroWithMessage()
    {
        var (code, _, stderr) = await RunAsync("detect", _dir.File("missing.jpg"), "--server", _server.Http.BaseAddress!.ToString());
        Assert.Equal(1, code);
        Assert.Contains("error:", stderr, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string dll = Path.Combine(RepoPaths.Root, "src", "InferenceServer.Cli", "bin", config, "net10.0", "linux-x64", "infer.dll");
        return ProcessRunner.RunAsync("dotnet", [dll, .. args], TimeSpan.FromMinutes(2));
    }
}
