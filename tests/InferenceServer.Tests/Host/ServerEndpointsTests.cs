using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Grpc.Health.V1;
using Grpc.Net.Client;
using InferenceServer.Tests.Fixtures;
using OpenCvSharp;

namespace InferenceServer.Tests.Host;

public sealed class ServerEndpointsTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync();
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)), "the server should become ready");
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task HealthLive_Always_Returns200()
    {
        using var response = await _server.Http.GetAsync(new Uri("/v2/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Detect_PngWithWhiteBox_ReturnsDetectionInOriginalPixels()
    {
        var (image, box) = TestImages.WhiteBox(800, 450, 120, 90, 240, 160);
        using (image)
        {
            using var response = await PostImageAsync(TestImages.Encode(image), "/v1/detect");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var root = json.RootElement;
            Assert.Equal("shapes", root.GetProperty("model").GetString());
            Assert.Equal("1", root.GetProperty("version").GetString());
            var detection = Assert.Single(root.GetProperty("detections").EnumerateArray());
            Assert.Equal("square", detection.GetProperty("label").GetString());
            Assert.Equal(1, detection.GetProperty("class_id").GetInt32());
            var got = detection.GetProperty("box").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            for (int i = 0; i < 4; i++)
            {
                Assert.InRange(got[i], box[i] - 2.5f, box[i] + 2.5f); // 800 px → 320 input: 2.5 px per input pixel
            }

            Assert.True(root.GetProperty("timings_ms").GetProperty("inference").GetDouble() > 0);
        }
    }

    [Fact]
    public async Task Detect_ClassFilterExcludingHit_ReturnsNoDetections()
    {
        var (image, _) = TestImages.WhiteBox(320, 320, 10, 10, 100, 100);
        using (image)
        {
            using var response = await PostImageAsync(TestImages.Encode(image), "/v1/detect?classes=circle,triangle");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.Empty(json.RootElement.GetProperty("detections").EnumerateArray());
        }
    }

    [Theory]
    [InlineData("/v1/detect?conf=abc", "conf")]
    [InlineData("/v1/detect?conf=1.5", "confidence")]
    [InlineData("/v1/detect?classes=zebra", "zebra")]
    public async Task Detect_BadQuery_Returns400NamingTheParameter(string url, string mention)
    {
        using var image = new Mat(32, 32, MatType.CV_8UC3, Scalar.All(0));
        using var response = await PostImageAsync(TestImages.Encode(image), url);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mention, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Detect_GarbageBody_Returns400AndServerKeepsServing()
    {
        using (var bad = await PostImageAsync([1, 2, 3, 4, 5], "/v1/detect"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("Unrecognised image format", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using var image = new Mat(32, 32, MatType.CV_8UC3, Scalar.All(0));
        using var ok = await PostImageAsync(TestImages.Encode(image), "/v1/detect");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Detect_PngBomb_Returns413()
    {
        using var image = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(0));
        var bytes = TestImages.Encode(image);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16, 4), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20, 4), 100_000);
        using var response = await PostImageAsync(bytes, "/v1/detect");
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Detect_UnknownModel_Returns404()
    {
        using var image = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(0));
        using var response = await PostImageAsync(TestImages.Encode(image), "/v1/detect?model=nope");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Metrics_AfterTraffic_ExposesRequestAndStageSeriesOnMetricsPortOnly()
    {
        using var image = new Mat(64, 64, MatType.CV_8UC3, Scalar.All(0));
        using (var r = await PostImageAsync(TestImages.Encode(image), "/v1/detect"))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }

        string text = await _server.Metrics.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("inference_requests_total{model=\"shapes\",version=\"1\",outcome=\"ok\"}", text, StringComparison.Ordinal);
        Assert.Contains("inference_stage_seconds_count{model=\"shapes\",stage=\"inference\"}", text, StringComparison.Ordinal);
        Assert.Contains("inference_model_ready{model=\"shapes\",version=\"1\",provider=\"cpu\"} 1", text, StringComparison.Ordinal);

        using var onHttpPort = await _server.Http.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, onHttpPort.StatusCode);
        using var restOnMetricsPort = await _server.Metrics.GetAsync(new Uri("/v2/health/live", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, restOnMetricsPort.StatusCode);
    }

    [Fact]
    public async Task GrpcHealth_WhenModelLoaded_ReportsServing()
    {
        using var channel = GrpcChannel.ForAddress(_server.GrpcAddress);
        var client = new Health.HealthClient(channel);
        var reply = await client.CheckAsync(new HealthCheckRequest());
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    private async Task<HttpResponseMessage> PostImageAsync(byte[] bytes, string url)
    {
        using var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return await _server.Http.PostAsync(new Uri(url, UriKind.Relative), content);
    }
}
