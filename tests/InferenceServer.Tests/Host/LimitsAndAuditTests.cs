using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Host;

/// <summary>Per-key rate and stream limits (429 / RESOURCE_EXHAUSTED) and the audit log of operator/admin actions.</summary>
public sealed class LimitsAndAuditTests : IAsyncLifetime
{
    private const string CameraA = "camera-a-secret-0123456789";
    private const string CameraB = "camera-b-secret-0123456789";
    private const string Operator = "operator-secret-0123456789";
    private const string Admin = "admin-secret-0123456789";
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        string[] keys = [$"cam-a:camera:{CameraA}", $"cam-b:camera:{CameraB}", $"ops:operator:{Operator}", $"root:admin:{Admin}"];
        var args = new List<string>
        {
            "--InferenceServer:Auth:Enabled=true",
            "--InferenceServer:Limits:RequestsPerSecondPerKey=1",
            "--InferenceServer:Limits:BurstPerKey=3",
            "--InferenceServer:Limits:StreamsPerKey=1",
        };
        for (int i = 0; i < keys.Length; i++)
        {
            var parts = keys[i].Split(':');
            args.Add($"--InferenceServer:Auth:Keys:{i}:Id={parts[0]}");
            args.Add($"--InferenceServer:Auth:Keys:{i}:Role={parts[1]}");
            args.Add($"--InferenceServer:Auth:Keys:{i}:Key={parts[2]}");
        }

        _server = await TestServer.StartAsync(null, "shapes", [.. args]);
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task RateLimit_BurstExceeded_Rest429AndGrpcResourceExhausted_OtherKeysUnaffected()
    {
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++)
        {
            statuses.Add((await DetectRestAsync(CameraA)).StatusCode);
        }

        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var client = new Detector.DetectorClient(_channel);
        var request = new DetectRequest { Image = new Image { Encoded = Google.Protobuf.ByteString.CopyFrom(1, 2, 3) } };
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await client.DetectAsync(request, new Metadata { { "authorization", $"Bearer {CameraA}" } }));
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);

        // Another key has its own budget; health is never limited.
        Assert.Equal(HttpStatusCode.BadRequest, (await DetectRestAsync(CameraB)).StatusCode); // reached the endpoint: a bad image
        for (int i = 0; i < 10; i++)
        {
            using var health = await _server.Http.GetAsync(new Uri("/v2/health/live", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }
    }

    [Fact]
    public async Task StreamsPerKey_SecondStreamOfSameKey_ResourceExhausted()
    {
        var client = new Detector.DetectorClient(_channel);
        using var image = new OpenCvSharp.Mat(32, 32, OpenCvSharp.MatType.CV_8UC3, OpenCvSharp.Scalar.All(0));
        var frame = new Frame { StreamId = "s", Image = new Image { Encoded = Google.Protobuf.ByteString.CopyFrom(TestImages.Encode(image, ".jpg")) } };
        using var first = client.StreamDetect(new Metadata { { "authorization", $"Bearer {CameraB}" } });
        await first.RequestStream.WriteAsync(frame);
        Assert.True(await first.ResponseStream.MoveNext(CancellationToken.None));

        using var second = client.StreamDetect(new Metadata { { "authorization", $"Bearer {CameraB}" } });
        var ex = await RejectedCalls.StatusOfDuplexAsync(second, frame);
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        await first.RequestStream.CompleteAsync();
    }

    [Fact]
    public async Task AuditLog_RecordsOperatorAndAdminActionsWithKeyIdNeverTheKey()
    {
        await SendAsync("GET", "/v1/models", Operator);
        await SendAsync("POST", "/v1/models/shapes/promote", Admin, "{\"version\": \"1\"}");
        await SendAsync("POST", "/v1/models/shapes/rollback", Operator); // denied, still recorded
        await DetectRestAsync(CameraB); // a camera's inference is not an audited action

        var lines = await File.ReadAllLinesAsync(_server.AuditLogPath);
        string all = string.Join('\n', lines);
        Assert.DoesNotContain(Admin, all, StringComparison.Ordinal);
        Assert.DoesNotContain(Operator, all, StringComparison.Ordinal);
        var entries = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Contains(entries, e => e.GetProperty("key_id").GetString() == "ops" && e.GetProperty("action").GetString() == "GET /v1/models" && e.GetProperty("status").GetInt32() == 200);
        Assert.Contains(entries, e => e.GetProperty("key_id").GetString() == "root" && e.GetProperty("action").GetString() == "POST /v1/models/shapes/promote" && e.GetProperty("status").GetInt32() == 200);
        Assert.Contains(entries, e => e.GetProperty("key_id").GetString() == "ops" && e.GetProperty("action").GetString() == "POST /v1/models/shapes/rollback" && e.GetProperty("status").GetInt32() == 403);
        Assert.DoesNotContain(entries, e => e.GetProperty("action").GetString()!.Contains("/v1/detect", StringComparison.Ordinal));
        Assert.All(entries, e => Assert.True(DateTime.TryParse(e.GetProperty("time").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _)));
    }

    private Task<HttpResponseMessage> DetectRestAsync(string key) => SendAsync("POST", "/v1/detect", key, "x");

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string key, string? body = null)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }

        return await _server.Http.SendAsync(request);
    }
}
