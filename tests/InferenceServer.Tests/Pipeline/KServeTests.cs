using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Protos.Inference;
using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Pipeline;

/// <summary>KServe v2 / Open Inference Protocol over gRPC and REST with a real client against the real host.</summary>
public sealed class KServeTests : IAsyncLifetime
{
    private const int Size = 64;
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;
    private GRPCInferenceService.GRPCInferenceServiceClient _client = null!;

    public async Task InitializeAsync()
    {
        var models = new Dictionary<string, byte[]>
        {
            ["brightbox"] = BrightBoxModel.Build(OutputLayout.YoloV8, Size, Size, names: ["blob", "box"], classCount: 2, hitClass: 1),
        };
        _server = await TestServer.StartAsync(models, "brightbox");
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress);
        _client = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task HealthAndMetadata_ReportServerAndModel()
    {
        Assert.True((await _client.ServerLiveAsync(new ServerLiveRequest())).Live);
        Assert.True((await _client.ServerReadyAsync(new ServerReadyRequest())).Ready);
        Assert.True((await _client.ModelReadyAsync(new ModelReadyRequest { Name = "brightbox" })).Ready);
        Assert.False((await _client.ModelReadyAsync(new ModelReadyRequest { Name = "brightbox", Version = "9" })).Ready);
        Assert.Equal("inferenceserver", (await _client.ServerMetadataAsync(new ServerMetadataRequest())).Name);

        var meta = await _client.ModelMetadataAsync(new ModelMetadataRequest { Name = "brightbox" });
        Assert.Equal("onnxruntime_onnx", meta.Platform);
        Assert.Equal(["1"], meta.Versions);
        Assert.Equal("images", meta.Inputs[0].Name);
        Assert.Equal("FP32", meta.Inputs[0].Datatype);
        Assert.Equal([-1L, 3, Size, Size], meta.Inputs[0].Shape);
        Assert.Equal([-1L, 6, 8], meta.Outputs[0].Shape);
    }

    [Fact]
    public async Task ModelInfer_RawInputContents_ReturnsRawOutputOfEveryImage()
    {
        // Two preprocessed images with bright squares at different places.
        var data = new float[2 * 3 * Size * Size];
        Paint(data, 0, 10, 12, 20, 16);
        Paint(data, 1, 30, 5, 14, 40);
        var request = new ModelInferRequest { ModelName = "brightbox", Id = "req-1" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "images", Datatype = "FP32" };
        input.Shape.AddRange([2, 3, Size, Size]);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(MemoryMarshal.AsBytes(data.AsSpan())));

        var response = await _client.ModelInferAsync(request);
        Assert.Equal("req-1", response.Id);
        Assert.Equal("1", response.ModelVersion);
        Assert.Equal([2L, 6, 8], response.Outputs[0].Shape);
        var output = MemoryMarshal.Cast<byte, float>(response.RawOutputContents[0].Span).ToArray();
        Assert.Equal(2 * 6 * 8, output.Length);
        // Row-major [image, channel, anchor]: cx of image 0 = 10 + 20/2, w of image 1 = 14.
        Assert.Equal(20f, output[(0 * 48) + (0 * 8)]);
        Assert.Equal(14f, output[(1 * 48) + (2 * 8)]);
    }

    [Fact]
    public async Task ModelInfer_Fp32Contents_ReturnsTypedContents()
    {
        var data = new float[3 * Size * Size];
        Paint(data, 0, 4, 4, 8, 8);
        var request = new ModelInferRequest { ModelName = "brightbox" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "images", Datatype = "FP32", Contents = new InferTensorContents() };
        input.Shape.AddRange([1, 3, Size, Size]);
        input.Contents.Fp32Contents.AddRange(data);
        request.Inputs.Add(input);

        var response = await _client.ModelInferAsync(request);
        Assert.Equal(48, response.Outputs[0].Contents.Fp32Contents.Count);
        Assert.Equal(8f, response.Outputs[0].Contents.Fp32Contents[0]);
    }

    [Theory]
    [InlineData("nope", "images", "FP32", new long[] { 1, 3, Size, Size }, 3 * Size * Size, StatusCode.NotFound)]
    [InlineData("brightbox", "pixels", "FP32", new long[] { 1, 3, Size, Size }, 3 * Size * Size, StatusCode.InvalidArgument)]
    [InlineData("brightbox", "images", "INT8", new long[] { 1, 3, Size, Size }, 3 * Size * Size, StatusCode.InvalidArgument)]
    [InlineData("brightbox", "images", "FP32", new long[] { 1, 3, 32, 32 }, 3 * 32 * 32, StatusCode.InvalidArgument)]
    [InlineData("brightbox", "images", "FP32", new long[] { 1, 3, Size, Size }, 100, StatusCode.InvalidArgument)]
    [InlineData("brightbox", "images", "FP32", new long[] { 0, 3, Size, Size }, 0, StatusCode.InvalidArgument)]
    public async Task ModelInfer_BadRequest_ReturnsStatusAndServerKeepsServing(string model, string name, string datatype, long[] shape, int elements, StatusCode expected)
    {
        var request = new ModelInferRequest { ModelName = model };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = name, Datatype = datatype };
        input.Shape.AddRange(shape);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[elements * 4]));
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await _client.ModelInferAsync(request));
        Assert.Equal(expected, ex.StatusCode);
        Assert.True((await _client.ServerReadyAsync(new ServerReadyRequest())).Ready);
    }

    [Fact]
    public async Task Rest_MetadataReadyAndInfer_FollowKServeJson()
    {
        using var meta = JsonDocument.Parse(await _server.Http.GetStringAsync(new Uri("/v2/models/brightbox", UriKind.Relative)));
        Assert.Equal("images", meta.RootElement.GetProperty("inputs")[0].GetProperty("name").GetString());
        using (var ready = await _server.Http.GetAsync(new Uri("/v2/models/brightbox/versions/1/ready", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        var data = new float[3 * Size * Size];
        Paint(data, 0, 10, 10, 20, 30);
        string body = JsonSerializer.Serialize(new
        {
            id = "r",
            inputs = new[] { new { name = "images", shape = new[] { 1, 3, Size, Size }, datatype = "FP32", data } },
        });
        using var response = await _server.Http.PostAsync(new Uri("/v2/models/brightbox/infer", UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var output = json.RootElement.GetProperty("outputs")[0];
        Assert.Equal("output0", output.GetProperty("name").GetString());
        Assert.Equal(20f, output.GetProperty("data")[0].GetSingle()); // cx = 10 + 20/2
    }

    [Theory]
    [InlineData("/v2/models/nope/infer", "{}", HttpStatusCode.NotFound)]
    [InlineData("/v2/models/brightbox/infer", "not json", HttpStatusCode.BadRequest)]
    [InlineData("/v2/models/brightbox/infer", "{\"inputs\": 5}", HttpStatusCode.BadRequest)]
    [InlineData("/v2/models/brightbox/infer", "{\"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": [1, 3, 2, 2], \"data\": [1, 2]}]}", HttpStatusCode.BadRequest)]
    [InlineData("/v2/models/brightbox/infer", "{\"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": \"x\", \"data\": []}]}", HttpStatusCode.BadRequest)]
    [InlineData("/v2/models/brightbox/infer", "{\"inputs\": [{\"name\": \"images\", \"datatype\": \"FP32\", \"shape\": [1, 3, 64, 64], \"data\": [\"a\"]}]}", HttpStatusCode.BadRequest)]
    public async Task Rest_BadInfer_ReturnsJsonError(string url, string body, HttpStatusCode expected)
    {
        using var response = await _server.Http.PostAsync(new Uri(url, UriKind.Relative), new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(expected, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("error").GetString()));
    }

    /// <summary>Sets a bright rectangle (all channels 1.0) in image <paramref name="image"/> of a [B,3,Size,Size] tensor.</summary>
    private static void Paint(float[] data, int image, int x, int y, int w, int h)
    {
        for (int c = 0; c < 3; c++)
        {
            for (int yy = y; yy < y + h; yy++)
            {
                for (int xx = x; xx < x + w; xx++)
                {
                    data[(image * 3 * Size * Size) + (c * Size * Size) + (yy * Size) + xx] = 1f;
                }
            }
        }
    }
}
