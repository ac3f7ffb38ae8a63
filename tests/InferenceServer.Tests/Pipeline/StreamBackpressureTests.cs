using Google.Protobuf;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Tests.Fixtures;
using OpenCvSharp;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Pipeline;

public sealed class StreamBackpressureTests
{
    private readonly ITestOutputHelper _output;

    public StreamBackpressureTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public async Task StreamDetect_ClientNeverReadsResults_ServerStopsTakingFramesInsteadOfBuffering()
    {
        await using var server = await TestServer.StartAsync();
        Assert.True(await server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Detector.DetectorClient(channel);

        // ~50 KB frames (noise does not compress): transport windows hold only a few of them.
        byte[] jpeg;
        using (var noise = new Mat(240, 320, MatType.CV_8UC3))
        {
            Cv2.Randu(noise, Scalar.All(0), Scalar.All(255));
            Cv2.ImEncode(".jpg", noise, out jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 95));
        }

        using var call = client.StreamDetect();
        using var stop = new CancellationTokenSource();
        int written = 0;
        var writer = Task.Run(async () =>
        {
            for (; written < 3000 && !stop.IsCancellationRequested; Interlocked.Increment(ref written))
            {
                var frame = new Frame { StreamId = "deaf", Sequence = (ulong)written, Image = new Image { Encoded = ByteString.CopyFrom(jpeg) } };
                if (written == 0)
                {
                    frame.Backpressure = Backpressure.Block;
                }

                await call.RequestStream.WriteAsync(frame, stop.Token);
            }
        });

        // Wait (condition, not time) until the server holds the most results it will leave unsent for this camera.
        var pipeline = ((InferenceServer.Hosting.PipelineHost)server.Services.GetService(typeof(InferenceServer.Hosting.PipelineHost))!).Pipeline;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!writer.IsCompleted && !pipeline.FindStreams("deaf").Any(s => s.UnsentResults >= 32))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the unsent-result bound was never reached ({Volatile.Read(ref written)} frames written)");
            await Task.Delay(50);
        }

        int taken = Volatile.Read(ref written);
        _output.WriteLine($"the server took {taken} frames of {jpeg.Length} bytes from a camera that reads no results, then stopped reading");
        Assert.False(writer.IsCompleted, $"all {taken} frames were taken");
        Assert.True(taken < 1500, $"{taken} frames");
        // 32 unsent, plus the frames already past the check (stream queue, decode, batch) when it closed.
        Assert.All(pipeline.FindStreams("deaf"), s => Assert.True(s.UnsentResults <= 64, $"{s.UnsentResults} unsent"));

        // Reading the results releases the camera: it is flow control, not a dead server.
        while (Volatile.Read(ref written) == taken)
        {
            Assert.True(DateTime.UtcNow < deadline.AddSeconds(30), "the camera stayed blocked after its results were read");
            await call.ResponseStream.MoveNext(CancellationToken.None);
        }

        await stop.CancelAsync();
        try
        {
            await writer; // either finished or cancelled mid-write
        }
        catch (Exception ex) when (ex is OperationCanceledException or Grpc.Core.RpcException)
        {
        }

        // The server itself stays responsive to others.
        using var other = new HttpClient { BaseAddress = server.Http.BaseAddress };
        Assert.True((await other.GetAsync(new Uri("/v2/health/ready", UriKind.Relative))).IsSuccessStatusCode);
    }
}
