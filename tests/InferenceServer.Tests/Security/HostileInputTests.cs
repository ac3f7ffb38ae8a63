using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Protos.Inference;
using InferenceServer.Tests.Fixtures;
using InferenceServer.Tests.Registry;
using OpenCvSharp;

namespace InferenceServer.Tests.Security;

/// <summary>A corpus of malformed inputs through the real server; after each, the server must still serve a good request.</summary>
public sealed class HostileInputTests : IAsyncLifetime
{
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;
    private byte[] _goodJpeg = [];

    public async Task InitializeAsync()
    {
        _server = await TestServer.StartAsync(null, "shapes", "--InferenceServer:MaxMessageBytes=1048576", "--InferenceServer:MaxImagePixels=4000000");
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress, new GrpcChannelOptions { MaxSendMessageSize = 16 << 20 });
        using var image = new Mat(120, 160, MatType.CV_8UC3, Scalar.All(30));
        _goodJpeg = TestImages.Encode(image, ".jpg");
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Corpus_EachCaseAnsweredWithDocumentedErrorAndServerKeepsServing()
    {
        using var png = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(0));
        var bomb = TestImages.Encode(png, ".png");
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(16, 4), 100_000);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(bomb.AsSpan(20, 4), 100_000);
        var detector = new Detector.DetectorClient(_channel);
        var kserve = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);

        var cases = new (string Name, Func<Task<string>> Send, string Expected)[]
        {
            ("garbage image (REST)", () => Rest("POST", "/v1/detect", new ByteArrayContent(Encoding.ASCII.GetBytes("definitely not an image"))), "400"),
            ("truncated JPEG (REST)", () => Rest("POST", "/v1/detect", new ByteArrayContent(_goodJpeg[..(_goodJpeg.Length / 2)])), "400"),
            ("PNG bomb 100000x100000 (REST)", () => Rest("POST", "/v1/detect", new ByteArrayContent(bomb)), "413"),
            ("body over MaxMessageBytes (REST)", () => Rest("POST", "/v1/detect", new ByteArrayContent(new byte[2 << 20])), "413"),
            ("huge raw dimensions (gRPC)", () => Grpc(() => detector.DetectAsync(new DetectRequest { Image = new Image { Raw = new RawImage { Format = Protos.Detection.V1.PixelFormat.Bgr24, Width = 100_000, Height = 100_000, Data = ByteString.CopyFrom(new byte[10]) } } }).ResponseAsync), "InvalidArgument"),
            ("NV12 with odd size (gRPC)", () => Grpc(() => detector.DetectAsync(new DetectRequest { Image = new Image { Raw = new RawImage { Format = Protos.Detection.V1.PixelFormat.Nv12, Width = 3, Height = 3, Data = ByteString.CopyFrom(new byte[100]) } } }).ResponseAsync), "InvalidArgument"),
            ("unknown pixel format (gRPC)", () => Grpc(() => detector.DetectAsync(new DetectRequest { Image = new Image { Raw = new RawImage { Format = (Protos.Detection.V1.PixelFormat)99, Width = 4, Height = 4, Data = ByteString.CopyFrom(new byte[48]) } } }).ResponseAsync), "InvalidArgument"),
            ("message over MaxMessageBytes (gRPC)", () => Grpc(() => detector.DetectAsync(new DetectRequest { Image = new Image { Encoded = ByteString.CopyFrom(new byte[2 << 20]) } }).ResponseAsync), "ResourceExhausted"),
            ("malformed protobuf frame (gRPC)", MalformedGrpcAsync, "grpc-status:not-0"),
            ("KServe shape mismatch (gRPC)", () => Grpc(() => kserve.ModelInferAsync(Infer([1, 3, 5, 5], 75 * 4)).ResponseAsync), "InvalidArgument"),
            ("KServe byte size mismatch (gRPC)", () => Grpc(() => kserve.ModelInferAsync(Infer([1, 3, 320, 320], 7)).ResponseAsync), "InvalidArgument"),
            ("KServe datatype mismatch (REST JSON)", () => Rest("POST", "/v2/models/shapes/infer", Json("{\"inputs\":[{\"name\":\"images\",\"datatype\":\"BYTES\",\"shape\":[1,3,320,320],\"data\":[]}]}")), "400"),
            ("JSON with wrong types (REST)", () => Rest("POST", "/v2/models/shapes/infer", Json("{\"inputs\":[{\"name\":5,\"datatype\":[],\"shape\":{},\"data\":\"x\"}]}")), "400"),
            ("path traversal in model name (upload)", () => Rest("POST", "/v1/models/..%2F..%2Fetc/versions", Upload([1, 2, 3])), "400"),
            ("absolute path as model name (upload)", () => Rest("POST", "/v1/models/%2Fetc%2Fpasswd/versions", Upload([1, 2, 3])), "400"),
            ("ONNX with external data outside its folder (upload)", () => Rest("POST", "/v1/models/evil/versions", Upload(ModelRegistryTests.OnnxWithExternalData("../../../../etc/passwd"))), "422"),
            ("random bytes as ONNX (upload)", () => Rest("POST", "/v1/models/junk/versions", Upload(new byte[4096])), "422"),
        };

        foreach (var (name, send, expected) in cases)
        {
            string actual = await send();
            Assert.True(expected == "grpc-status:not-0" ? actual != "grpc-status:0" : actual == expected, $"{name}: expected {expected}, got {actual}");
            await AssertStillServingAsync(name);
        }

        Assert.False(Directory.Exists(Path.Combine(_server.Repository, "..", "etc")), "nothing was written outside the repository");
    }

    private async Task AssertStillServingAsync(string after)
    {
        using var content = new ByteArrayContent(_goodJpeg);
        using var response = await _server.Http.PostAsync(new Uri("/v1/detect", UriKind.Relative), content);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"after '{after}' a good request got {response.StatusCode}");
        var reply = await new Detector.DetectorClient(_channel).DetectAsync(new DetectRequest { Image = new Image { Encoded = ByteString.CopyFrom(_goodJpeg) } });
        Assert.Equal("shapes", reply.Model);
    }

    private async Task<string> Rest(string method, string path, HttpContent content)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative)) { Content = content };
        using var response = await _server.Http.SendAsync(request);
        return ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<string> Grpc(Func<Task> call)
    {
        try
        {
            await call();
            return "OK";
        }
        catch (RpcException ex)
        {
            return ex.StatusCode.ToString();
        }
    }

    /// <summary>A gRPC frame whose payload is not a valid DetectRequest, sent over raw HTTP/2.</summary>
    private async Task<string> MalformedGrpcAsync()
    {
        using var http = new HttpClient { DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        byte[] payload = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01, 0x02]; // field 1, length far beyond the data
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        using var content = new ByteArrayContent(frame);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.GrpcAddress, "/detection.v1.Detector/Detect")) { Content = content };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        string status = response.TrailingHeaders.TryGetValues("grpc-status", out var t) ? t.First()
            : response.Headers.TryGetValues("grpc-status", out var h) ? h.First() : "missing";
        return $"grpc-status:{status}";
    }

    private static ModelInferRequest Infer(long[] shape, int bytes)
    {
        var request = new ModelInferRequest { ModelName = "shapes" };
        var input = new ModelInferRequest.Types.InferInputTensor { Name = "images", Datatype = "FP32" };
        input.Shape.AddRange(shape);
        request.Inputs.Add(input);
        request.RawInputContents.Add(ByteString.CopyFrom(new byte[bytes]));
        return request;
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static MultipartFormDataContent Upload(byte[] onnx) => new() { { new ByteArrayContent(onnx), "model", "model.onnx" } };
}
