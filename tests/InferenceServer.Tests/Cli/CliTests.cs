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

    [Fact]
    public async Task Examples_AddLabelledAndCaptureFromALiveStream_LandInTheDatasetAndBadBoxesAreRefused()
    {
        string rest = _server.Http.BaseAddress!.ToString().TrimEnd('/');
        var (image, _) = TestImages.WhiteBox(320, 192, 40, 50, 60, 60);
        string path = _dir.File("example.png");
        using (image)
        {
            await File.WriteAllBytesAsync(path, TestImages.Encode(image));
        }

        var (code, stdout, stderr) = await RunAsync("examples", "add", path, "--box", "40,50,100,110,square", "--dataset", "cli", "--server", rest);
        Assert.True(code == 0, stderr);
        Assert.Contains("added to cli", stdout, StringComparison.Ordinal);

        (code, _, stderr) = await RunAsync("examples", "add", path, "--box", "40,50,400,110,square", "--dataset", "cli", "--server", rest);
        Assert.Equal(1, code);
        Assert.Contains("HTTP 400", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await RunAsync("examples", "capture", "--dataset", "cli", "--server", rest);
        Assert.Equal(2, code);
        Assert.Contains("--feed ID or --stream ID", stderr, StringComparison.Ordinal);

        // A camera streams over gRPC; the operator grabs what it shows now.
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(_server.GrpcAddress);
        using var call = new Protos.Detection.V1.Detector.DetectorClient(channel).StreamDetect();
        using var stop = new CancellationTokenSource();
        byte[] jpeg = await File.ReadAllBytesAsync(path);
        var camera = Task.Run(async () =>
        {
            for (ulong i = 0; !stop.IsCancellationRequested; i++)
            {
                await call.RequestStream.WriteAsync(new Protos.Detection.V1.Frame { StreamId = "lobby", Sequence = i, Image = new Protos.Detection.V1.Image { Encoded = Google.Protobuf.ByteString.CopyFrom(jpeg) } });
                await call.ResponseStream.MoveNext(CancellationToken.None);
                await Task.Delay(20);
            }

            await call.RequestStream.CompleteAsync();
        });
        (code, stdout, stderr) = await RunAsync("examples", "capture", "--stream", "lobby", "--dataset", "cli", "--server", rest);
        await stop.CancelAsync();
        await camera;
        Assert.True(code == 0, stderr);
        Assert.Contains("captured into cli", stdout, StringComparison.Ordinal);
        Assert.Contains("320x192", stdout, StringComparison.Ordinal);

        var summary = JsonDocument.Parse(await _server.Http.GetStringAsync(new Uri("/v1/datasets/cli", UriKind.Relative))).RootElement;
        Assert.Equal(1, summary.GetProperty("labelled").GetInt32());
        Assert.Equal(0, summary.GetProperty("unlabelled").GetInt32()); // the same image: stored once, its labels kept
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string dll = Path.Combine(RepoPaths.Root, "src", "InferenceServer.Cli", "bin", config, "net10.0", "linux-x64", "infer.dll");
        return ProcessRunner.RunAsync("dotnet", [dll, .. args], TimeSpan.FromMinutes(2));
    }
}
