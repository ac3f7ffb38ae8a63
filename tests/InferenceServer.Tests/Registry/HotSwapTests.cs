using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Protos.Inference;
using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Registry;

/// <summary>Zero-downtime swaps under load, and the registry's REST and KServe repository APIs, on the real host.</summary>
[Collection(SerialCollection.Name)]
public sealed class HotSwapTests : IAsyncLifetime
{
    private static readonly string ShapesDir = Path.Combine(RepoPaths.Root, "models", "repository", "shapes", "1");
    private readonly ITestOutputHelper _output;
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;

    public HotSwapTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public async Task InitializeAsync()
    {
        var onnx = File.ReadAllBytes(Path.Combine(ShapesDir, "model.onnx"));
        _server = await TestServer.StartAsync(new Dictionary<string, byte[]>(), "shapes", "--InferenceServer:Registry:PollMilliseconds=200");
        TestModelFiles.WriteVersion(_server.Repository, "shapes", "1", onnx, "{}");
        TestModelFiles.WriteVersion(_server.Repository, "shapes", "2", onnx, "{}");
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)), "the watcher picks the model up");
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task PromoteAndRollbackTenTimes_UnderFourFullSpeedStreams_NoFailedFrameAndMemoryReturns()
    {
        Assert.Equal(HttpStatusCode.OK, (await PromoteAsync("2")).StatusCode);
        var video = TestVideo.Create(Path.GetTempPath(), 640, 360, frames: 8, seed: 31);
        using var stop = new CancellationTokenSource();
        var perStream = Enumerable.Range(0, 4).Select(_ => new ConcurrentQueue<FrameResult>()).ToArray();
        var client = new Detector.DetectorClient(_channel);
        var streams = Enumerable.Range(0, 4).Select(s => StreamUntilAsync(client, $"swap-{s}", video.Frames, perStream[s], stop.Token)).ToArray();

        await WaitForResultsAsync(perStream, 20);
        long baseline = NativeBytes();
        int swaps = 1;
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("SWAP_CYCLES"), out int c) ? c : 10;
        for (int i = 0; i < cycles; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await PromoteAsync("1")).StatusCode);
            await WaitForResultsAsync(perStream, 5);
            using var rollback = await _server.Http.PostAsync(new Uri("/v1/models/shapes/rollback", UriKind.Relative), null);
            Assert.Equal(HttpStatusCode.OK, rollback.StatusCode);
            await WaitForResultsAsync(perStream, 5);
            swaps += 2;
        }

        await stop.CancelAsync();
        await Task.WhenAll(streams);
        await WaitUntilAsync(async () => (await StatusAsync()).GetProperty("versions").EnumerateArray().Count(v => v.GetProperty("state").GetString() is "ready" or "draining") == 1);
        long after = NativeBytes();
        _output.WriteLine($"native memory (RSS minus the managed heap's committed bytes): baseline {baseline / 1e6:F1} MB, after 20 swaps {after / 1e6:F1} MB; RSS {ProcessMemory.RssBytes() / 1e6:F1} MB");

        foreach (var results in perStream)
        {
            var list = results.ToList();
            Assert.True(list.Count > 50);
            Assert.All(list, r => Assert.Null(r.Error));
            Assert.All(list, r => Assert.Contains(r.Version, new[] { "1", "2" }));
            Assert.True(list.Zip(list.Skip(1)).All(p => p.Second.Sequence > p.First.Sequence), "in order");
            int transitions = list.Zip(list.Skip(1)).Count(p => p.First.Version != p.Second.Version);
            Assert.True(transitions <= swaps, $"{transitions} version changes for {swaps} swaps: a stream flipped back and forth");
        }

        Assert.True(perStream.Sum(q => q.Count(r => r.Version == "1")) > 0, "promotions reached the streams");
        // One resident version of this model is ~80 MB of ONNX Runtime memory: growth must stay well below that.
        Assert.True(after - baseline < 50_000_000, $"native memory grew by {(after - baseline) / 1e6:F1} MB over {swaps} swaps");
    }

    [Fact]
    public async Task RestApi_ListAliasUploadAndErrors()
    {
        using var list = JsonDocument.Parse(await _server.Http.GetStringAsync(new Uri("/v1/models", UriKind.Relative)));
        Assert.Contains(list.RootElement.EnumerateArray(), m => m.GetProperty("name").GetString() == "shapes");

        using (var alias = await _server.Http.PutAsync(new Uri("/v1/models/shapes/aliases/candidate", UriKind.Relative), JsonContent.Create(new { version = "1" })))
        {
            Assert.Equal(HttpStatusCode.OK, alias.StatusCode);
        }

        Assert.Equal("1", (await StatusAsync()).GetProperty("aliases").GetProperty("candidate").GetString());

        var onnx = BrightBoxModel.Build(OutputLayout.YoloV8, 64, 64, names: ["a", "b"]);
        using (var upload = await UploadAsync("uploaded", onnx, null))
        {
            Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
            using var body = JsonDocument.Parse(await upload.Content.ReadAsStringAsync());
            Assert.Equal("1", body.RootElement.GetProperty("version").GetString());
        }

        using (var bad = await UploadAsync("uploaded", [1, 2, 3], null))
        {
            Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.StatusCode);
        }

        using (var traversal = await UploadAsync("..%2F..%2Fevil", onnx, null))
        {
            Assert.Equal(HttpStatusCode.BadRequest, traversal.StatusCode);
        }

        using (var badManifest = await UploadAsync("uploaded", onnx, "{oops"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badManifest.StatusCode);
        }

        using (var badVersion = await PromoteAsync("x"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badVersion.StatusCode);
        }

        using (var missing = await _server.Http.PostAsync(new Uri("/v1/models/nope/rollback", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }

        using (var noHistory = await _server.Http.PostAsync(new Uri("/v1/models/uploaded/rollback", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Conflict, noHistory.StatusCode);
        }
    }

    [Fact]
    public async Task KServeRepository_IndexUnloadLoad()
    {
        var client = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
        var index = await client.RepositoryIndexAsync(new RepositoryIndexRequest { Ready = true });
        Assert.Contains(index.Models, m => m.Name == "shapes" && m.State == "READY");

        var unload = new RepositoryModelUnloadRequest { ModelName = "shapes" };
        unload.Parameters["version"] = new ModelRepositoryParameter { StringParam = "2" };
        await client.RepositoryModelUnloadAsync(unload);
        await WaitUntilAsync(async () => (await client.RepositoryIndexAsync(new RepositoryIndexRequest())).Models.Any(m => m.Name == "shapes" && m.Version == "2" && m.State == "AVAILABLE"));
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "shapes" })).Ready, "v1 takes over");

        var load = new RepositoryModelLoadRequest { ModelName = "shapes" };
        load.Parameters["version"] = new ModelRepositoryParameter { Int64Param = 2 };
        await client.RepositoryModelLoadAsync(load);
        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "shapes", Version = "2" })).Ready);

        var ex = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () => await client.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "nope" }));
        Assert.Equal(Grpc.Core.StatusCode.NotFound, ex.StatusCode);
    }

    private static async Task StreamUntilAsync(Detector.DetectorClient client, string id, IReadOnlyList<byte[]> frames, ConcurrentQueue<FrameResult> sink, CancellationToken stop)
    {
        using var call = client.StreamDetect();
        var reader = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                sink.Enqueue(call.ResponseStream.Current);
            }
        });
        ulong sequence = 0;
        var encoded = frames.Select(ByteString.CopyFrom).ToArray();
        while (!stop.IsCancellationRequested)
        {
            await call.RequestStream.WriteAsync(new Frame
            {
                StreamId = id,
                Sequence = sequence,
                Image = new Image { Encoded = encoded[sequence % (ulong)encoded.Length] },
                Backpressure = Backpressure.Block,
            });
            sequence++;
        }

        await call.RequestStream.CompleteAsync();
        await reader;
    }

    private static async Task WaitForResultsAsync(ConcurrentQueue<FrameResult>[] streams, int more)
    {
        var targets = streams.Select(s => s.Count + more).ToArray();
        await WaitUntilAsync(() => Task.FromResult(streams.Select((s, i) => s.Count >= targets[i]).All(x => x)));
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not reached in time");
            await Task.Delay(20);
        }
    }

    /// <summary>Process memory that is not the managed heap: ONNX Runtime sessions, native buffers, OpenCV.</summary>
    private static long NativeBytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return ProcessMemory.RssBytes() - GC.GetGCMemoryInfo().TotalCommittedBytes;
    }


    private Task<HttpResponseMessage> PromoteAsync(string version) =>
        _server.Http.PostAsync(new Uri("/v1/models/shapes/promote", UriKind.Relative), new StringContent($"{{\"version\": \"{version}\"}}", Encoding.UTF8, "application/json"));

    private async Task<JsonElement> StatusAsync()
    {
        using var doc = JsonDocument.Parse(await _server.Http.GetStringAsync(new Uri("/v1/models/shapes", UriKind.Relative)));
        return doc.RootElement.Clone();
    }

    private Task<HttpResponseMessage> UploadAsync(string name, byte[] onnx, string? manifest)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(onnx), "model", "model.onnx" } };
        if (manifest is not null)
        {
            form.Add(new StringContent(manifest), "manifest");
        }

        return _server.Http.PostAsync(new Uri($"/v1/models/{name}/versions", UriKind.Relative), form);
    }
}
