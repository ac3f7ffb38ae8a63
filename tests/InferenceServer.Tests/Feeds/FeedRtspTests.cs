using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Tests.Fixtures;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Feeds;

/// <summary>Feeds pulled from a real RTSP server (GStreamer) by the real server, results through WatchFeed.</summary>
public sealed class FeedRtspTests
{
    private static readonly string ShapesOnnx = Path.Combine(RepoPaths.Root, "models", "repository", "shapes", "1", "model.onnx");
    private readonly ITestOutputHelper _output;

    public FeedRtspTests(ITestOutputHelper output) => _output = output;

    [SkippableTheory]
    [InlineData("jpeg", "ffmpeg", "ffmpeg")]
    [InlineData("h264", "ffmpeg", "ffmpeg")] // what IP cameras send: key frame every second, P-frames between
    [InlineData("h264", "gstreamer", "gstreamer")]
    [InlineData("h264", "auto", "gstreamer")]
    [InlineData("h265", "auto", "gstreamer")]
    [InlineData("jpeg", "auto", "ffmpeg")] // GStreamer takes H.264/H.265 only: auto falls back to FFmpeg
    public async Task WatchFeed_RtspCamera_DetectionsMatchTheFramesShownWithBoundedLatency(string codec, string decoder, string decodedBy)
    {
        Skip.If(RtspTestServer.Unavailable is not null, RtspTestServer.Unavailable);
        Skip.If(decodedBy == "gstreamer" && Core.Feeds.GstreamerAvailability.Missing("gst-launch-1.0") is not null, $"GStreamer decoder: {Core.Feeds.GstreamerAvailability.Missing("gst-launch-1.0")}");
        using var frames = new TempDirectory();
        var truth = FeedScenes.Write(frames.Path, 30, seed: 4242); // a 2 s loop at 15 fps: latency below 2 s is unambiguous
        await using var rtsp = await RtspTestServer.StartAsync(frames.Path, 15, codec: codec);
        await using var server = await StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var feeds = new Protos.Detection.V1.Feeds.FeedsClient(channel);

        await feeds.AddFeedAsync(new AddFeedRequest { Spec = new FeedSpec { Id = "cam", Url = rtsp.Url(), Decoder = decoder } });
        var results = await WatchAsync(feeds, "cam", 75, TimeSpan.FromSeconds(40));
        Assert.Equal(decodedBy, (await feeds.GetFeedAsync(new GetFeedRequest { Id = "cam" })).Decoder);

        var pushes = rtsp.Pushes.ToArray();
        var sourceToResult = new List<double>();
        var captureToResult = new List<double>();
        int matched = 0;
        foreach (var (result, receivedAt) in results.Skip(15)) // the first second includes connecting
        {
            Assert.Null(result.Error);
            var (frame, f1) = FeedScenes.BestMatch(result.Detections, truth);
            if (f1 < 0.8)
            {
                _output.WriteLine($"unmatched result {result.Sequence}: best frame {frame}, F1 {f1:F2}, {result.Detections.Count} detections");
                continue;
            }

            matched++;
            long shown = pushes.Where(p => p.File == frame && p.UnixNanos <= receivedAt).Max(p => p.UnixNanos);
            sourceToResult.Add((receivedAt - shown) / 1e6);
            captureToResult.Add((receivedAt - result.CaptureTimeUnixNanos) / 1e6);
        }

        int measured = results.Count - 15;
        _output.WriteLine($"{codec} decoded by {decodedBy} (decoder {decoder}): {matched}/{measured} results match the frame shown (F1 >= 0.8 at IoU 0.5)");
        _output.WriteLine($"source shown -> result delivered: p50 {Percentile(sourceToResult, 50):F1} ms, p95 {Percentile(sourceToResult, 95):F1} ms, max {sourceToResult.Max():F1} ms");
        _output.WriteLine($"server read -> result delivered: p50 {Percentile(captureToResult, 50):F1} ms, p95 {Percentile(captureToResult, 95):F1} ms");
        Assert.True(matched >= 0.85 * measured, $"only {matched} of {measured} results match a frame of the source");
        Assert.True(Percentile(sourceToResult, 95) < 1000, $"p95 latency {Percentile(sourceToResult, 95):F0} ms");
    }

    [SkippableFact]
    public async Task Feed_RtspServerGoesAwayAndComesBack_ReconnectsByItselfWithinTheBackoffBound()
    {
        Skip.If(RtspTestServer.Unavailable is not null, RtspTestServer.Unavailable);
        using var frames = new TempDirectory();
        FeedScenes.Write(frames.Path, 10, seed: 7);
        await using var rtsp = await RtspTestServer.StartAsync(frames.Path, 15);
        await using var server = await StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var feeds = new Protos.Detection.V1.Feeds.FeedsClient(channel);
        await feeds.AddFeedAsync(new AddFeedRequest
        {
            Spec = new FeedSpec { Id = "door", Url = rtsp.Url(), StallTimeoutSeconds = 1, ReconnectMinSeconds = 0.2, ReconnectMaxSeconds = 1 },
        });

        var streaming = await WaitForAsync(feeds, "door", s => s.State == FeedState.Streaming && s.FramesInferred > 5, TimeSpan.FromSeconds(30));
        await rtsp.StopAsync();
        var down = await WaitForAsync(feeds, "door", s => s.State is FeedState.Reconnecting or FeedState.Stalled, TimeSpan.FromSeconds(10));
        // Several failed attempts while the camera is away.
        var away = await WaitForAsync(feeds, "door", s => s.Reconnects >= 2, TimeSpan.FromSeconds(20));
        Assert.True(away.Reconnects >= 2, $"reconnects while away: {away.Reconnects}");
        Assert.NotEqual(FeedState.Failed, away.State); // retries forever by default

        var restarted = Stopwatch.StartNew();
        await rtsp.RestartAsync();
        var back = await WaitForAsync(feeds, "door", s => s.State == FeedState.Streaming && s.FramesInferred > away.FramesInferred + 5, TimeSpan.FromSeconds(20));
        _output.WriteLine($"away: {down.LastError}; resumed {restarted.Elapsed.TotalSeconds:F2} s after the server came back (backoff bound 1 s); history: {string.Join(" > ", back.History.Select(h => h.State))}");
        Assert.Contains(back.History, h => h.State == FeedState.Reconnecting);
        Assert.True(restarted.Elapsed < TimeSpan.FromSeconds(8), $"resumed after {restarted.Elapsed}");
        Assert.Equal(0ul, back.FrameErrors);
    }

    [SkippableFact]
    public async Task Feeds_FourCamerasAndOneUnreachable_TheBrokenOneFailsAloneAndTheOthersStream()
    {
        Skip.If(RtspTestServer.Unavailable is not null, RtspTestServer.Unavailable);
        using var frames = new TempDirectory();
        var truth = FeedScenes.Write(frames.Path, 30, seed: 99);
        await using var rtsp = await RtspTestServer.StartAsync(frames.Path, 15, ["/cam0", "/cam1", "/cam2", "/cam3"]);
        await using var server = await StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var feeds = new Protos.Detection.V1.Feeds.FeedsClient(channel);
        for (int i = 0; i < 4; i++)
        {
            await feeds.AddFeedAsync(new AddFeedRequest { Spec = new FeedSpec { Id = $"cam{i}", Url = rtsp.Url($"/cam{i}") } });
        }

        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        int deadPort = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now
        await feeds.AddFeedAsync(new AddFeedRequest
        {
            // FFmpeg prints the URL it failed on: the password must not reach the status (operators read it).
            Spec = new FeedSpec { Id = "dead", Url = $"rtsp://admin:s3cret@127.0.0.1:{deadPort}/nothing", Decoder = "ffmpeg", MaxReconnectAttempts = 2, ReconnectMinSeconds = 0.1, ReconnectMaxSeconds = 0.2 },
        });

        if (Core.Feeds.GstreamerAvailability.Missing("gst-launch-1.0") is null)
        {
            // GStreamer asked for explicitly on an MJPEG camera: fails alone, saying why and what to use.
            await feeds.AddFeedAsync(new AddFeedRequest
            {
                Spec = new FeedSpec { Id = "mjpeg-gst", Url = rtsp.Url("/cam0"), Decoder = "gstreamer", MaxReconnectAttempts = 1, ReconnectMinSeconds = 0.1, ReconnectMaxSeconds = 0.2 },
            });
        }

        var watches = Enumerable.Range(0, 4).Select(i => WatchAsync(feeds, $"cam{i}", 45, TimeSpan.FromSeconds(40))).ToArray();
        var dead = await WaitForAsync(feeds, "dead", s => s.State == FeedState.Failed, TimeSpan.FromSeconds(20));
        Assert.Contains("Connection refused", dead.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", dead.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(dead.History, h => h.Reason.Contains("s3cret", StringComparison.Ordinal));

        if (Core.Feeds.GstreamerAvailability.Missing("gst-launch-1.0") is null)
        {
            var refused = await WaitForAsync(feeds, "mjpeg-gst", s => s.State == FeedState.Failed, TimeSpan.FromSeconds(20));
            Assert.Contains("use decoder ffmpeg", refused.LastError, StringComparison.Ordinal);
        }

        await Task.WhenAll(watches);
        for (int i = 0; i < 4; i++)
        {
            var results = watches[i].Result.Skip(5).ToList();
            int matched = results.Count(r => FeedScenes.BestMatch(r.Result.Detections, truth).F1 >= 0.8);
            var status = await feeds.GetFeedAsync(new GetFeedRequest { Id = $"cam{i}" });
            _output.WriteLine($"cam{i}: {status.FramesInferred} inferred, {status.FramesSkipped} skipped of {status.FramesRead} read, source {status.SourceFps:F1} fps, last latency {status.LastLatencyMs} ms; {matched}/{results.Count} match");
            Assert.Equal(FeedState.Streaming, status.State);
            Assert.True(matched >= 0.8 * results.Count, $"cam{i}: {matched}/{results.Count}");
        }
    }

    [SkippableFact]
    public async Task Feed_SourceFasterThanTheModel_SkipsFramesAndLatencyStaysBounded()
    {
        Skip.If(RtspTestServer.Unavailable is not null, RtspTestServer.Unavailable);
        using var frames = new TempDirectory();
        FeedScenes.Write(frames.Path, 60, seed: 5);
        await using var rtsp = await RtspTestServer.StartAsync(frames.Path, 60);
        await using var server = await StartServerAsync();
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var feeds = new Protos.Detection.V1.Feeds.FeedsClient(channel);

        // Three feeds of one 60 fps camera: 180 frames/s offered, more than 2 cores infer.
        for (int i = 0; i < 3; i++)
        {
            await feeds.AddFeedAsync(new AddFeedRequest { Spec = new FeedSpec { Id = $"fast{i}", Url = rtsp.Url() } });
        }

        var results = await WatchAsync(feeds, "fast0", 240, TimeSpan.FromSeconds(60));
        var latencies = results.Skip(30).Select(r => (r.ReceivedAt - r.Result.CaptureTimeUnixNanos) / 1e6).ToList();
        var status = await feeds.GetFeedAsync(new GetFeedRequest { Id = "fast0" });
        int third = latencies.Count / 3;
        double early = Percentile(latencies.Take(third).ToList(), 50);
        double late = Percentile(latencies.Skip(2 * third).ToList(), 50);
        _output.WriteLine($"fast0: read {status.FramesRead}, inferred {status.FramesInferred}, skipped {status.FramesSkipped} (source {status.SourceFps:F1} fps); read -> result p50 {Percentile(latencies, 50):F1} ms, p95 {Percentile(latencies, 95):F1} ms, max {latencies.Max():F1} ms; first third p50 {early:F1}, last third p50 {late:F1}");
        Assert.True(status.FramesSkipped > 0, "the source should be faster than the model here");
        Assert.True(Percentile(latencies, 95) < 500, $"p95 {Percentile(latencies, 95):F0} ms");
        Assert.True(late < early + 100, $"latency grows: {early:F0} ms -> {late:F0} ms");
    }

    internal static async Task<TestServer> StartServerAsync(params string[] extraArgs)
    {
        var server = await TestServer.StartAsync(new Dictionary<string, byte[]> { ["shapes"] = await File.ReadAllBytesAsync(ShapesOnnx) }, "shapes", extraArgs);
        Assert.True(await server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        return server;
    }

    internal static async Task<List<(FrameResult Result, long ReceivedAt)>> WatchAsync(Protos.Detection.V1.Feeds.FeedsClient feeds, string id, int count, TimeSpan timeout)
    {
        var results = new List<(FrameResult, long)>();
        using var cts = new CancellationTokenSource(timeout);
        using var watch = feeds.WatchFeed(new WatchFeedRequest { Id = id }, cancellationToken: cts.Token);
        while (results.Count < count && await watch.ResponseStream.MoveNext(cts.Token))
        {
            results.Add((watch.ResponseStream.Current, (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100));
        }

        return results;
    }

    internal static async Task<Protos.Detection.V1.FeedStatus> WaitForAsync(Protos.Detection.V1.Feeds.FeedsClient feeds, string id, Func<Protos.Detection.V1.FeedStatus, bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Protos.Detection.V1.FeedStatus status;
        do
        {
            status = await feeds.GetFeedAsync(new GetFeedRequest { Id = id });
            if (condition(status))
            {
                return status;
            }

            await Task.Delay(100);
        }
        while (DateTime.UtcNow < deadline);

        throw new TimeoutException($"feed {id} stayed {status.State} ({status.LastError}); history {string.Join(" > ", status.History.Select(h => h.State))}");
    }

    internal static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
