using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Pipeline;

/// <summary>StreamDetect and Detect over real gRPC against the real host.</summary>
public sealed class StreamDetectTests : IAsyncLifetime
{
    private static readonly string ShapesDir = Path.Combine(RepoPaths.Root, "models", "repository", "shapes", "1");
    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _videos = new();
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;

    public StreamDetectTests(ITestOutputHelper output)
    {
        _output = output;
    }

    public async Task InitializeAsync()
    {
        var models = new Dictionary<string, byte[]>
        {
            ["shapes"] = File.ReadAllBytes(Path.Combine(ShapesDir, "model.onnx")),
            ["brightbox"] = BrightBoxModel.Build(OutputLayout.YoloV8, 320, 320, names: ["blob", "box"], classCount: 2, hitClass: 1),
        };
        _server = await TestServer.StartAsync(
            models, "shapes", "--InferenceServer:Pipeline:MaxQueueDelayMicroseconds=4000", "--InferenceServer:Session:MaxBatchSize=8");
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
        _videos.Dispose();
    }

    [Fact]
    public async Task StreamDetect_EightConcurrentStreams_InOrderAndMatchingGroundTruth()
    {
        var video = TestVideo.Create(_videos.Path, 640, 360, frames: 24, seed: 21);
        var client = new Detector.DetectorClient(_channel);
        var tasks = Enumerable.Range(0, 8).Select(s => RunStreamAsync(client, $"cam-{s}", video.Frames, Backpressure.Block, "shapes", null)).ToArray();
        var all = await Task.WhenAll(tasks);

        int matched = 0;
        int total = 0;
        foreach (var results in all)
        {
            Assert.Equal(video.Frames.Count, results.Count);
            Assert.Equal(Enumerable.Range(0, video.Frames.Count).Select(i => (ulong)i), results.Select(r => r.Sequence));
            for (int f = 0; f < results.Count; f++)
            {
                var r = results[f];
                Assert.Null(r.Error);
                Assert.Equal("shapes", r.Model);
                Assert.Equal("1", r.Version);
                Assert.Equal(0UL, r.DroppedFrames);
                Assert.True(r.Timings.TotalMs > 0 && r.Timings.InferenceMs > 0);
                foreach (var (label, box) in video.Truth[f])
                {
                    total++;
                    if (r.Detections.Any(d => d.Label == label && IoU(d.Box, box) >= 0.5))
                    {
                        matched++;
                    }
                }
            }
        }

        double recall = (double)matched / total;
        _output.WriteLine($"recall@IoU0.5 over 8 streams: {recall:F3} ({matched}/{total})");
        Assert.True(recall >= 0.8, $"recall {recall:F3}");
    }

    [Fact]
    public async Task StreamDetect_LatestModeFasterProducer_DropsOldFramesAndKeepsLatencyBounded()
    {
        var video = TestVideo.Create(_videos.Path, 1280, 720, frames: 12, seed: 22);
        var frames = Enumerable.Range(0, 240).Select(i => video.Frames[i % video.Frames.Count]).ToList();
        var client = new Detector.DetectorClient(_channel);
        var sw = Stopwatch.StartNew();
        var results = await RunStreamAsync(client, "fast-cam", frames, Backpressure.Latest, "shapes", null);
        _output.WriteLine($"sent {frames.Count} in {sw.ElapsedMilliseconds} ms, got {results.Count}, dropped {results[^1].DroppedFrames}, max total {results.Max(r => r.Timings.TotalMs):F1} ms");

        Assert.True(results.Count < frames.Count, "a producer faster than the server must see drops");
        Assert.Equal((ulong)frames.Count, (ulong)results.Count + results[^1].DroppedFrames);
        Assert.Equal(frames.Count - 1, (int)results[^1].Sequence); // the newest frame always gets through
        Assert.True(results.Zip(results.Skip(1)).All(p => p.Second.Sequence > p.First.Sequence), "results stay in order");
        // Latest keeps at most a frame queued per stream: server-side latency stays far below what queueing 240 frames would cost.
        Assert.True(results.Max(r => r.Timings.TotalMs) < 1000, "per-frame latency must stay bounded");

        // The documented series carry the traffic.
        string metrics = await _server.Metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.True(MetricValue(metrics, "inference_dropped_frames_total{stream=\"fast-cam\",reason=\"latest\"}") > 0);
        Assert.Equal(results.Count, MetricValue(metrics, "inference_stream_frames_total{stream=\"fast-cam\"}"));
        Assert.True(MetricValue(metrics, "inference_batch_size_count{model=\"shapes\"}") > 0);
        Assert.True(MetricValue(metrics, "inference_stage_seconds_count{model=\"shapes\",stage=\"decode\"}") > 0);
        Assert.True(MetricValue(metrics, "inference_requests_total{model=\"shapes\",version=\"1\",outcome=\"ok\"}") >= results.Count);
        Assert.Contains("inference_queue_depth{queue=\"decode\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("inference_active_streams", metrics, StringComparison.Ordinal);
    }

    private static double MetricValue(string metrics, string series)
    {
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        Assert.True(line is not null, $"series {series} missing");
        return double.Parse(line!.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task StreamDetect_BlockMode_ProcessesEveryFrame()
    {
        var video = TestVideo.Create(_videos.Path, 640, 360, frames: 10, seed: 23);
        var frames = Enumerable.Range(0, 60).Select(i => video.Frames[i % video.Frames.Count]).ToList();
        var results = await RunStreamAsync(new Detector.DetectorClient(_channel), "block-cam", frames, Backpressure.Block, "shapes", null);
        Assert.Equal(60, results.Count);
        Assert.All(results, r => Assert.Equal(0UL, r.DroppedFrames));
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (ulong)i), results.Select(r => r.Sequence));
    }

    [Fact]
    public async Task StreamDetect_MixedResolutionsBatchedTogether_EachBoxMapsToItsOwnFrame()
    {
        var client = new Detector.DetectorClient(_channel);
        var sizes = new[] { (1280, 720), (640, 480), (333, 517), (1001, 701) };
        var tasks = sizes.Select(async (size, s) =>
        {
            var (w, h) = size;
            var frames = new List<byte[]>();
            var boxes = new List<float[]>();
            for (int i = 0; i < 16; i++)
            {
                var (image, box) = TestImages.WhiteBox(w, h, (w / 10) + (i * 3), h / 4, w / 4, h / 3);
                using (image)
                {
                    frames.Add(TestImages.Encode(image, ".png"));
                }

                boxes.Add(box);
            }

            var results = await RunStreamAsync(client, $"mixed-{s}", frames, Backpressure.Block, "brightbox", null);
            return (w, h, results, boxes);
        }).ToArray();

        foreach (var (w, h, results, boxes) in await Task.WhenAll(tasks))
        {
            Assert.Equal(16, results.Count);
            double tol = Math.Max(1.0, Math.Max(w, h) / 320.0);
            for (int i = 0; i < 16; i++)
            {
                Assert.Equal(w, results[i].Width);
                var d = Assert.Single(results[i].Detections);
                Assert.InRange(d.Box.X1, boxes[i][0] - tol, boxes[i][0] + tol);
                Assert.InRange(d.Box.Y2, boxes[i][3] - tol, boxes[i][3] + tol);
            }
        }

        string metrics = await _server.Metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var bucket = metrics.Split('\n').First(l => l.StartsWith("inference_batch_size_bucket{model=\"brightbox\",le=\"1\"}", StringComparison.Ordinal));
        var count = metrics.Split('\n').First(l => l.StartsWith("inference_batch_size_count{model=\"brightbox\"}", StringComparison.Ordinal));
        Assert.True(double.Parse(bucket.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) < double.Parse(count.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture),
            "frames of different streams and resolutions must share batches");
    }

    [Fact]
    public async Task StreamDetect_BadFrameInStream_FailsOnlyThatFrame()
    {
        var video = TestVideo.Create(_videos.Path, 320, 180, frames: 6, seed: 24);
        var frames = video.Frames.ToList();
        frames[2] = [1, 2, 3];
        frames[4] = [];
        var results = await RunStreamAsync(new Detector.DetectorClient(_channel), "bad-cam", frames, Backpressure.Block, "shapes", null);
        Assert.Equal(6, results.Count);
        Assert.Equal("INVALID_ARGUMENT", results[2].Error.Code);
        Assert.Equal("INVALID_ARGUMENT", results[4].Error.Code);
        Assert.Contains("empty", results[4].Error.Message, StringComparison.Ordinal);
        Assert.All(new[] { 0, 1, 3, 5 }, i => Assert.Null(results[i].Error));
    }

    [Fact]
    public async Task StreamDetect_UnknownModel_FailsCallWithNotFound()
    {
        var client = new Detector.DetectorClient(_channel);
        var ex = await Assert.ThrowsAsync<RpcException>(() => RunStreamAsync(client, "x", [[1]], Backpressure.Block, "nope", null));
        Assert.Equal(StatusCode.NotFound, ex.StatusCode);
    }

    [Fact]
    public async Task Detect_Unary_ReturnsDetectionsAndRejectsBadInput()
    {
        var client = new Detector.DetectorClient(_channel);
        var (image, box) = TestImages.WhiteBox(640, 480, 100, 120, 200, 150);
        using (image)
        {
            var reply = await client.DetectAsync(new DetectRequest
            {
                Image = new Image { Encoded = ByteString.CopyFrom(TestImages.Encode(image, ".jpg")) },
                Options = new DetectOptions { Model = "brightbox" },
            });
            var d = Assert.Single(reply.Detections);
            Assert.Equal("box", d.Label);
            Assert.InRange(d.Box.X1, box[0] - 2, box[0] + 2);
        }

        var bad = await Assert.ThrowsAsync<RpcException>(async () => await client.DetectAsync(new DetectRequest { Image = new Image { Encoded = ByteString.CopyFrom(1, 2, 3) } }));
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        var badOption = await Assert.ThrowsAsync<RpcException>(async () => await client.DetectAsync(new DetectRequest
        {
            Image = new Image { Encoded = ByteString.CopyFrom(1, 2, 3) },
            Options = new DetectOptions { ConfidenceThreshold = 7 },
        }));
        Assert.Equal(StatusCode.InvalidArgument, badOption.StatusCode);

        var raw = new byte[64 * 48 * 3];
        var rawReply = await client.DetectAsync(new DetectRequest
        {
            Image = new Image { Raw = new RawImage { Format = PixelFormat.Bgr24, Width = 64, Height = 48, Data = ByteString.CopyFrom(raw) } },
            Options = new DetectOptions { Model = "brightbox" },
        });
        Assert.Equal(64, rawReply.Width);
    }

    private static async Task<List<FrameResult>> RunStreamAsync(
        Detector.DetectorClient client, string id, IReadOnlyList<byte[]> frames, Backpressure mode, string model, DetectOptions? options)
    {
        using var call = client.StreamDetect();
        var results = new List<FrameResult>();
        var reader = Task.Run(async () =>
        {
            await foreach (var r in call.ResponseStream.ReadAllAsync())
            {
                results.Add(r);
            }
        });
        for (int i = 0; i < frames.Count; i++)
        {
            var frame = new Frame
            {
                StreamId = id,
                Sequence = (ulong)i,
                CaptureTimeUnixNanos = DateTime.UtcNow.Ticks * 100,
                Image = new Image { Encoded = ByteString.CopyFrom(frames[i]) },
                Backpressure = mode,
            };
            if (i == 0)
            {
                frame.Options = options ?? new DetectOptions { Model = model };
            }

            await call.RequestStream.WriteAsync(frame);
        }

        await call.RequestStream.CompleteAsync();
        await reader;
        return results;
    }

    private static double IoU(Box a, float[] b)
    {
        float ix = Math.Min(a.X2, b[2]) - Math.Max(a.X1, b[0]);
        float iy = Math.Min(a.Y2, b[3]) - Math.Max(a.Y1, b[1]);
        if (ix <= 0 || iy <= 0)
        {
            return 0;
        }

        float inter = ix * iy;
        return inter / (((a.X2 - a.X1) * (a.Y2 - a.Y1)) + ((b[2] - b[0]) * (b[3] - b[1])) - inter);
    }
}
