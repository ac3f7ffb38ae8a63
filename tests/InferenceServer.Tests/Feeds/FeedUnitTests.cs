using InferenceServer.Core.Feeds;
using InferenceServer.Core.Pipeline;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Feeds;

public sealed class FeedUnitTests
{
    [Fact]
    public async Task Y4mReader_FfmpegOutput_ReadsEveryFrameThenEnds()
    {
        using var dir = new TempDirectory();
        string path = dir.File("clip.y4m");
        var (code, _, err) = await ProcessRunner.RunAsync("ffmpeg", ["-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", "3", "-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p", path], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, err);
        await using var stream = File.OpenRead(path);
        var reader = new Y4mReader(stream, 1_000_000);
        Assert.True(await reader.ReadHeaderAsync(CancellationToken.None));
        Assert.Equal((64, 48, 10.0), (reader.Width, reader.Height, reader.Fps));
        for (int i = 0; i < 3; i++)
        {
            using var frame = await reader.ReadFrameAsync(CancellationToken.None);
            Assert.NotNull(frame);
            Assert.Equal(64 * 48 * 3 / 2, frame.Length);
            using var bgr = Core.Imaging.ImageDecoder.FromRaw(frame.Data.Span, frame.Format, frame.Width, frame.Height, 0, new Core.Imaging.ImageLimits());
            Assert.Equal(64, bgr.Width);
        }

        Assert.Null(await reader.ReadFrameAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("GARBAGE W64 H48\n", "not a YUV4MPEG2")]
    [InlineData("YUV4MPEG2 W63 H48\n", "unsupported frame size")]
    [InlineData("YUV4MPEG2 W100000 H100000\n", "unsupported frame size")]
    [InlineData("YUV4MPEG2 W64 H48 C444\n", "chroma")]
    public async Task Y4mReader_BadHeader_ThrowsNamingTheProblem(string header, string expected)
    {
        var reader = new Y4mReader(new MemoryStream(System.Text.Encoding.ASCII.GetBytes(header)), 40_000_000);
        var ex = await Assert.ThrowsAsync<FeedSourceException>(async () => await reader.ReadHeaderAsync(CancellationToken.None));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Y4mReader_TruncatedPicture_EndsWithoutAFrame()
    {
        var bytes = System.Text.Encoding.ASCII.GetBytes("YUV4MPEG2 W4 H2\nFRAME\n").Concat(new byte[5]).ToArray();
        var reader = new Y4mReader(new MemoryStream(bytes), 1000);
        Assert.True(await reader.ReadHeaderAsync(CancellationToken.None));
        Assert.Null(await reader.ReadFrameAsync(CancellationToken.None));
    }

    [Fact]
    public void Backoff_Delays_DoubleWithJitterUpToTheBound()
    {
        var backoff = new ReconnectBackoff(TimeSpan.FromSeconds(0.5), TimeSpan.FromSeconds(4), new Random(1));
        double[] ceilings = [0.5, 1, 2, 4, 4, 4];
        for (int n = 1; n <= ceilings.Length; n++)
        {
            for (int k = 0; k < 50; k++)
            {
                Assert.InRange(backoff.Delay(n).TotalSeconds, ceilings[n - 1] / 2, ceilings[n - 1]);
            }
        }

        Assert.InRange(backoff.Delay(1000).TotalSeconds, 2, 4);
    }

    [Fact]
    public void Spec_RedactedUrl_HidesThePassword()
    {
        var spec = new FeedSpec { Id = "a", Url = "rtsp://admin:hunter2@10.0.0.5:554/stream1" };
        Assert.Null(spec.Validate());
        Assert.DoesNotContain("hunter2", spec.RedactedUrl(), StringComparison.Ordinal);
        Assert.Contains("admin", spec.RedactedUrl(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rtsp://admin:s3cret@10.0.0.5:554/x: Connection refused", "rtsp://admin:***@10.0.0.5:554/x: Connection refused")]
    [InlineData("[http @ 0x1] http://u:p%40ss@cam/mjpg failed, rtsps://a:b@c/d too", "[http @ 0x1] http://u:***@cam/mjpg failed, rtsps://a:***@c/d too")]
    [InlineData("rtsp://10.0.0.5/x: 401 Unauthorized", "rtsp://10.0.0.5/x: 401 Unauthorized")]
    public void RedactCredentials_DecoderErrorLines_HidePasswordsOnly(string line, string expected) =>
        Assert.Equal(expected, FeedSpec.RedactCredentials(line));

    [Fact]
    public void FfmpegArguments_RtspWithHwaccel_PassesTransportAndDecoderWithoutAShell()
    {
        var args = ProcessFrameSource.FfmpegArguments(new FeedSpec { Id = "a", Url = "rtsp://cam/x; rm -rf /", RtspTransport = "udp", HwAccel = "cuda" });
        Assert.Equal("udp", args[args.ToList().IndexOf("-rtsp_transport") + 1]);
        Assert.Equal("cuda", args[args.ToList().IndexOf("-hwaccel") + 1]);
        Assert.Equal("rtsp://cam/x; rm -rf /", args[args.ToList().IndexOf("-i") + 1]); // one argument, never interpreted
        Assert.Equal("pipe:1", args[^1]);
    }

    [Fact]
    public void GstreamerArguments_Rtsp_UrlIsOneQuotedValueWithTheTransport()
    {
        var args = ProcessFrameSource.GstreamerArguments(new FeedSpec { Id = "a", Url = "rtsp://u:p@cam/x!y", RtspTransport = "udp" });
        Assert.Equal("rtspsrc", args[1]);
        Assert.Equal("location=\"rtsp://u:p@cam/x!y\"", args[2]); // '!' stays inside the quoted value
        Assert.Contains("protocols=udp", args);
        Assert.Equal(["y4menc", "!", "fdsink", "fd=1", "sync=false"], args.TakeLast(5));
    }

    [Theory]
    [InlineData("rtsp://cam/x\" ! filesink location=/tmp/p", "quotes")] // would end the quoted location
    [InlineData("rtsp://cam/x ! filesink", "white space")]
    [InlineData("rtsp://cam/x\\y", "backslashes")]
    public void Validate_UrlThatCouldEndAQuotedPipelineValue_Refused(string url, string reason)
    {
        var error = new FeedSpec { Id = "a", Url = url }.Validate();
        Assert.NotNull(error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://cam/mjpg", "gstreamer", null, "rtsp://")]
    [InlineData("rtsp://cam/x", "gstreamer", "cuda", "hwaccel")]
    [InlineData("rtsp://cam/x", "vlc", null, "auto, ffmpeg or gstreamer")]
    public void Validate_DecoderThatCannotReadTheFeed_RefusedWithTheReason(string url, string decoder, string? hwaccel, string reason)
    {
        var error = new FeedSpec { Id = "a", Url = url, Decoder = decoder, HwAccel = hwaccel }.Validate();
        Assert.NotNull(error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
        Assert.Null(new FeedSpec { Id = "a", Url = url }.Validate()); // auto reads it
    }

    [Fact]
    public void Subscription_SlowReader_KeepsTheNewestResultsAndCountsSkipped()
    {
        int unsubscribed = 0;
        var subscription = new FeedSubscription("f", _ => unsubscribed++);
        var request = FrameRequestFor();
        for (int i = 0; i < 20; i++)
        {
            subscription.Offer(new FrameOutcome { Request = request, DroppedFrames = i });
        }

        Assert.Equal(12, subscription.Skipped);
        Assert.True(subscription.Results.TryRead(out var first));
        Assert.Equal(12, first.DroppedFrames); // the oldest 12 were skipped
        subscription.Dispose();
        Assert.Equal(1, unsubscribed);
    }

    private static FrameRequest FrameRequestFor() =>
        (FrameRequest)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(FrameRequest));
}
