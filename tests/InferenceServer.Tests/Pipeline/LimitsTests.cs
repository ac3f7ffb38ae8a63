using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Pipeline;

/// <summary>Deadlines, stream count and message size limits, on the real host.</summary>
public sealed class LimitsTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(null, "shapes", "--InferenceServer:Pipeline:MaxStreams=2", "--InferenceServer:MaxMessageBytes=1048576");
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress, new GrpcChannelOptions { MaxSendMessageSize = 64 * 1024 * 1024 });
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task StreamDetect_FrameDeadlineAlreadyPassed_AnsweredWithDeadlineExceededWithoutInference()
    {
        using var image = new OpenCvSharp.Mat(64, 64, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(0));
        var bytes = ByteString.CopyFrom(TestImages.Encode(image, ".jpg"));
        using var call = new Detector.DetectorClient(_channel).StreamDetect();
        long past = (DateTime.UtcNow.AddSeconds(-1) - DateTime.UnixEpoch).Ticks * 100;
        await call.RequestStream.WriteAsync(new Frame { StreamId = "late", Sequence = 0, Image = new Image { Encoded = bytes }, Backpressure = Backpressure.Block, DeadlineUnixNanos = past });
        await call.RequestStream.WriteAsync(new Frame { StreamId = "late", Sequence = 1, Image = new Image { Encoded = bytes } });
        await call.RequestStream.CompleteAsync();
        var results = await call.ResponseStream.ReadAllAsync().ToListAsync();
        Assert.Equal(2, results.Count);
        Assert.Equal("DEADLINE_EXCEEDED", results[0].Error.Code);
        Assert.Null(results[1].Error);
    }

    [Fact]
    public async Task StreamDetect_MoreStreamsThanAllowed_ThirdGetsResourceExhausted()
    {
        using var image = new OpenCvSharp.Mat(32, 32, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(0));
        var frame = new Frame { StreamId = "s", Image = new Image { Encoded = ByteString.CopyFrom(TestImages.Encode(image, ".jpg")) } };
        var client = new Detector.DetectorClient(_channel);
        using var a = client.StreamDetect();
        using var b = client.StreamDetect();
        await a.RequestStream.WriteAsync(frame);
        await b.RequestStream.WriteAsync(frame);
        Assert.True(await a.ResponseStream.MoveNext(CancellationToken.None));
        Assert.True(await b.ResponseStream.MoveNext(CancellationToken.None));

        using var c = client.StreamDetect();
        var ex = await RejectedCalls.StatusOfDuplexAsync(c, frame);
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        await a.RequestStream.CompleteAsync();
        await b.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task Detect_MessageOverLimit_IsRejectedAndServerKeepsServing()
    {
        var client = new Detector.DetectorClient(_channel);
        var huge = new DetectRequest { Image = new Image { Encoded = ByteString.CopyFrom(new byte[2 * 1024 * 1024]) } };
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.DetectAsync(huge));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        using var image = new OpenCvSharp.Mat(32, 32, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(0));
        var ok = await client.DetectAsync(new DetectRequest { Image = new Image { Encoded = ByteString.CopyFrom(TestImages.Encode(image, ".jpg")) } });
        Assert.Equal("shapes", ok.Model);
    }
}
