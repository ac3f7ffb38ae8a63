using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Feeds;

/// <summary>The feeds API over REST and gRPC with local-file feeds (VideoCapture), webhooks and subscribers.</summary>
public sealed class FeedApiTests : IAsyncLifetime
{
    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _videos = new();
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;
    private string _video = null!;
    private IReadOnlyList<(string Label, float[] Box)[]> _truth = null!;

    public FeedApiTests(ITestOutputHelper output) => _output = output;

    private Protos.Detection.V1.Feeds.FeedsClient Feeds => new(_channel);

    public async Task InitializeAsync()
    {
        // 45 frames at 15 fps: a 3 s clip with known objects.
        _video = Path.Combine(_videos.Path, "clip.mp4");
        string truthPath = SyntheticVideoWriter.Write(_video, new SceneOptions { Width = 640, Height = 360, MinSize = 30 }, 45, 15, seed: 11, objectCount: 3);
        _truth = File.ReadAllLines(truthPath).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("objects").EnumerateArray()
                .Select(o => (o.GetProperty("label").GetString()!, o.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray()))
                .ToArray();
        }).ToList();
        _server = await FeedRtspTests.StartServerAsync();
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
        _videos.Dispose();
    }

    [Fact]
    public async Task Rest_AddGetListRemove_AnswersWithTheDocumentedStatuses()
    {
        using var added = await PostJsonAsync($$"""{"id":"lobby","url":{{JsonSerializer.Serialize(_video)}},"loop":true,"max_fps":5}""");
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        using (var again = await PostJsonAsync($$"""{"id":"lobby","url":{{JsonSerializer.Serialize(_video)}}}"""))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        }

        var status = await FeedRtspTests.WaitForAsync(Feeds, "lobby", s => s.State == FeedState.Streaming && s.FramesInferred >= 3, TimeSpan.FromSeconds(20));
        Assert.Equal(640, status.Width);
        using var list = await _server.Http.GetAsync(new Uri("/v1/feeds", UriKind.Relative));
        var feeds = await list.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("lobby", feeds[0].GetProperty("id").GetString());
        Assert.Equal("streaming", feeds[0].GetProperty("state").GetString());

        // max_fps 5 on a 15 fps file: about a third of the frames are inferred (judged over 30+ frames read).
        var later = await FeedRtspTests.WaitForAsync(Feeds, "lobby", s => s.FramesRead >= 30, TimeSpan.FromSeconds(30));
        double ratio = (double)later.FramesInferred / later.FramesRead;
        _output.WriteLine($"max_fps 5: {later.FramesInferred} of {later.FramesRead} frames inferred");
        Assert.InRange(ratio, 0.2, 0.5);

        Assert.Equal(HttpStatusCode.NoContent, (await _server.Http.DeleteAsync(new Uri("/v1/feeds/lobby", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.DeleteAsync(new Uri("/v1/feeds/lobby", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _server.Http.GetAsync(new Uri("/v1/feeds/lobby", UriKind.Relative))).StatusCode);
    }

    [Theory]
    [InlineData("""{"id":"../x","url":"rtsp://cam/x"}""", "id must be")]
    [InlineData("""{"id":"a","url":"ftp://cam/x"}""", "url must be")]
    [InlineData("""{"id":"a","url":"relative/clip.mp4"}""", "url must be")]
    [InlineData("""{"id":"a","url":"/tmp/../etc/passwd"}""", "'..'")]
    [InlineData("""{"id":"a","url":"rtsp://cam/x","max_fsp":3}""", "max_fsp")]
    [InlineData("""{"id":"a","url":"rtsp://cam/x","max_fps":"fast"}""", "invalid feed JSON")]
    [InlineData("""{"id":"a","url":"rtsp://cam/x","confidence_threshold":2}""", "confidence_threshold")]
    [InlineData("""{"id":"a","url":"rtsp://cam/x","model":"nope"}""", "not loaded")]
    [InlineData("""{"id":"a","url":"rtsp://cam/x","classes":["unicorn"]}""", "unicorn")]
    [InlineData("""{"id":"a","url":"rtsp://cam/x","rtsp_transport":"sctp"}""", "rtsp_transport")]
    [InlineData("""{"id":"a","url":"rtsp://cam/x","hwaccel":"cuda; rm -rf /"}""", "hwaccel")]
    [InlineData("""{"id":"a","url":"rtsp://cam/x","webhook_url":"file:///etc/passwd"}""", "webhook_url")]
    [InlineData("""[1,2]""", "invalid feed JSON")]
    public async Task Rest_AddWithBadSpec_Returns400NamingTheProblemAndAddsNothing(string body, string expected)
    {
        using var response = await PostJsonAsync(body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(expected, text, StringComparison.Ordinal);
        Assert.Empty((await Feeds.ListFeedsAsync(new ListFeedsRequest())).Feeds);
    }

    [Fact]
    public async Task Rest_AddAsPlainText_Returns415()
    {
        using var response = await _server.Http.PostAsync(new Uri("/v1/feeds", UriKind.Relative), new StringContent("id=a", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task Grpc_UnknownOrInvalid_NotFoundInvalidArgumentAlreadyExists()
    {
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(async () => await Feeds.GetFeedAsync(new GetFeedRequest { Id = "nope" }))).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(async () => await Feeds.RemoveFeedAsync(new RemoveFeedRequest { Id = "nope" }))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await Feeds.AddFeedAsync(new AddFeedRequest()))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await Feeds.AddFeedAsync(new AddFeedRequest { Spec = new Protos.Detection.V1.FeedSpec { Id = "x", Url = "gopher://a" } }))).StatusCode);
        using var watch = Feeds.WatchFeed(new WatchFeedRequest { Id = "nope" });
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None))).StatusCode);

        await Feeds.AddFeedAsync(new AddFeedRequest { Spec = new Protos.Detection.V1.FeedSpec { Id = "x", Url = _video, Loop = true } });
        Assert.Equal(StatusCode.AlreadyExists, (await Assert.ThrowsAsync<RpcException>(async () => await Feeds.AddFeedAsync(new AddFeedRequest { Spec = new Protos.Detection.V1.FeedSpec { Id = "x", Url = _video } }))).StatusCode);
        await Feeds.RemoveFeedAsync(new RemoveFeedRequest { Id = "x" });
    }

    [Fact]
    public async Task FileFeed_WithoutLoop_InfersTheClipCorrectlyThenStops()
    {
        await Feeds.AddFeedAsync(new AddFeedRequest { Spec = new Protos.Detection.V1.FeedSpec { Id = "clip", Url = "file://" + _video } });
        var results = await FeedRtspTests.WatchAsync(Feeds, "clip", 45, TimeSpan.FromSeconds(20));
        var status = await FeedRtspTests.WaitForAsync(Feeds, "clip", s => s.State == FeedState.Stopped, TimeSpan.FromSeconds(20));

        // Sequence n is the n-th frame read: its detections are scored against that frame's ground truth.
        int truthCount = 0;
        double matched = 0;
        foreach (var (result, _) in results)
        {
            var truth = _truth[(int)result.Sequence - 1];
            var found = result.Detections.Select(d => (d.Label, d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2)).ToArray();
            var expected = truth.Select(t => (t.Label, t.Box[0], t.Box[1], t.Box[2], t.Box[3])).ToArray();
            matched += FeedScenes.F1(found, expected) * (found.Length + expected.Length) / 2; // = matched pairs
            truthCount += expected.Length;
        }

        double recall = matched / truthCount;
        _output.WriteLine($"{status.FramesInferred} of {status.FramesRead} frames inferred; recall {recall:P1} of {truthCount} objects (IoU 0.5, same label); ended: {status.History.Last().Reason}");
        Assert.Equal(45ul, status.FramesRead);
        Assert.True(results.Count >= 40, $"{results.Count} results");
        Assert.True(recall >= 0.75, $"recall {recall:P1}");
        Assert.Equal("end of file", status.History.Last().Reason);
    }

    [Fact]
    public async Task Webhook_ReceiverFailsOnce_BatchesArriveWithRetries()
    {
        var bodies = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int attempts = 0;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            if (Interlocked.Increment(ref attempts) == 1)
            {
                return Results.StatusCode(503); // the first POST fails: the server must retry it
            }

            using var reader = new StreamReader(request.Body);
            bodies.Enqueue(await reader.ReadToEndAsync());
            return Results.Ok();
        });
        await receiver.StartAsync();
        string url = receiver.Urls.First() + "/hook";

        await Feeds.AddFeedAsync(new AddFeedRequest
        {
            Spec = new Protos.Detection.V1.FeedSpec { Id = "hooked", Url = _video, Loop = true, WebhookUrl = url, WebhookBatchSize = 5, WebhookIntervalMs = 200 },
        });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (bodies.Count < 4 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await Feeds.RemoveFeedAsync(new RemoveFeedRequest { Id = "hooked" });
        Assert.True(bodies.Count >= 4, $"{bodies.Count} batches");
        Assert.True(attempts > bodies.Count, "the failed POST was retried");
        long previous = 0;
        foreach (var body in bodies)
        {
            using var doc = JsonDocument.Parse(body);
            Assert.Equal("hooked", doc.RootElement.GetProperty("feed").GetString());
            var batch = doc.RootElement.GetProperty("results");
            Assert.InRange(batch.GetArrayLength(), 1, 5);
            foreach (var r in batch.EnumerateArray())
            {
                long sequence = r.GetProperty("sequence").GetInt64();
                Assert.True(sequence > previous, "results in order");
                previous = sequence;
                Assert.Equal("shapes", r.GetProperty("model").GetString());
                Assert.Equal(4, r.GetProperty("detections")[0].GetProperty("box").GetArrayLength());
            }
        }
    }

    [Fact]
    public async Task WatchFeed_OneSubscriberStopsReading_TheOtherAndTheFeedKeepTheirPace()
    {
        await Feeds.AddFeedAsync(new AddFeedRequest { Spec = new Protos.Detection.V1.FeedSpec { Id = "busy", Url = _video, Loop = true } });
        await FeedRtspTests.WaitForAsync(Feeds, "busy", s => s.State == FeedState.Streaming, TimeSpan.FromSeconds(20));
        using var stalled = Feeds.WatchFeed(new WatchFeedRequest { Id = "busy" }); // opened, never read during the test
        Assert.True(await stalled.ResponseStream.MoveNext(CancellationToken.None));

        var before = await Feeds.GetFeedAsync(new GetFeedRequest { Id = "busy" });
        var started = DateTime.UtcNow;
        var results = await FeedRtspTests.WatchAsync(Feeds, "busy", 45, TimeSpan.FromSeconds(10));
        double seconds = (DateTime.UtcNow - started).TotalSeconds;

        // The reading subscriber's call has ended; its server side unsubscribes as the cancellation arrives.
        var after = await FeedRtspTests.WaitForAsync(Feeds, "busy", s => s.Subscribers <= 1, TimeSpan.FromSeconds(10));
        double rate = results.Count / seconds;
        _output.WriteLine($"reading subscriber: {results.Count} results in {seconds:F2} s ({rate:F1}/s) beside a subscriber that does not read; feed inferred {after.FramesInferred - before.FramesInferred}, subscribers {after.Subscribers}");
        Assert.Equal(1, before.Subscribers); // the one that does not read ...
        Assert.Equal(1, after.Subscribers); // ... is still subscribed: skipping, not dropped, not slowing anyone
        Assert.True(rate > 12, $"{rate:F1} results/s from a 15 fps source");
        Assert.Equal(45, results.Count);
    }

    private Task<HttpResponseMessage> PostJsonAsync(string json) =>
        _server.Http.PostAsync(new Uri("/v1/feeds", UriKind.Relative), new StringContent(json, Encoding.UTF8, "application/json"));
}
