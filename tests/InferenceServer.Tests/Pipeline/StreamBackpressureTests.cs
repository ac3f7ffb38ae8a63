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
        int written = 0;
        bool blocked = false;
        for (; written < 3000; written++)
        {
            var frame = new Frame { StreamId = "deaf", Sequence = (ulong)written, Image = new Image { Encoded = ByteString.CopyFrom(jpeg) } };
            if (written == 0)
            {
                frame.Backpressure = Backpressure.Block;
            }

            var write = call.RequestStream.WriteAsync(frame);
            if (await Task.WhenAny(write, Task.Delay(3000)) != write)
            {
                blocked = true; // the server stopped reading: flow control reached the camera
                break;
            }
        }

        _output.WriteLine($"the server took {written} frames of {jpeg.Length} bytes from a camera that reads no results, then stopped reading");
        Assert.True(blocked, $"all {written} frames were taken");
        Assert.True(written < 1500, $"{written} frames");

        // The server itself stays responsive to others.
        using var other = new HttpClient { BaseAddress = server.Http.BaseAddress };
        Assert.True((await other.GetAsync(new Uri("/v2/health/ready", UriKind.Relative))).IsSuccessStatusCode);
    }
}
