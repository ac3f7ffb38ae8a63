using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Protos.Inference;
using InferenceServer.Security;
using InferenceServer.Tests.Fixtures;

namespace InferenceServer.Tests.Host;

/// <summary>Every endpoint × role: 401 / UNAUTHENTICATED without a valid key, 403 / PERMISSION_DENIED with the wrong role.</summary>
public sealed class AuthTests : IAsyncLifetime
{
    private const string CameraKey = "camera-secret-0123456789";
    private const string OperatorKey = "operator-secret-0123456789";
    private const string AdminKey = "admin-secret-0123456789";
    private readonly TempDirectory _keys = new();
    private TestServer _server = null!;
    private GrpcChannel _channel = null!;

    public static TheoryData<string, string, string, string> RestCases()
    {
        // method, path, role that may, roles that may not ("" = no key)
        var data = new TheoryData<string, string, string, string>();
        data.Add("POST", "/v1/detect", "camera,admin", "operator");
        data.Add("GET", "/v2/models/shapes", "camera,operator,admin", string.Empty);
        data.Add("POST", "/v2/models/shapes/infer", "camera,admin", "operator");
        data.Add("GET", "/v1/models", "operator,admin", "camera");
        data.Add("GET", "/v1/models/shapes", "operator,admin", "camera");
        data.Add("POST", "/v1/models/shapes/promote", "admin", "camera,operator");
        data.Add("POST", "/v1/models/shapes/rollback", "admin", "camera,operator");
        data.Add("POST", "/v1/models/shapes/load", "admin", "camera,operator");
        data.Add("PUT", "/v1/models/shapes/aliases/candidate", "admin", "camera,operator");
        data.Add("POST", "/v1/models/shapes/versions", "admin", "camera,operator");
        data.Add("GET", "/v1/feeds", "operator,admin", "camera");
        data.Add("GET", "/v1/feeds/lobby", "operator,admin", "camera");
        data.Add("POST", "/v1/feeds", "admin", "camera,operator");
        data.Add("DELETE", "/v1/feeds/lobby", "admin", "camera,operator");
        data.Add("GET", "/v1/datasets", "operator,admin", "camera");
        data.Add("GET", "/v1/datasets/ops", "operator,admin", "camera");
        data.Add("POST", "/v1/datasets/ops/examples", "operator,admin", "camera");
        data.Add("POST", "/v1/datasets/ops/versions", "operator,admin", "camera");
        data.Add("POST", "/v1/datasets/ops/import?format=yolo", "operator,admin", "camera");
        data.Add("GET", "/v1/datasets/ops/export?format=yolo", "operator,admin", "camera");
        data.Add("POST", "/v1/datasets/ops/capture", "operator,admin", "camera");
        data.Add("GET", "/v1/jobs", "operator,admin", "camera");
        data.Add("POST", "/v1/jobs", "operator,admin", "camera");
        data.Add("GET", "/v1/jobs/job-1", "operator,admin", "camera");
        data.Add("GET", "/v1/jobs/job-1/log", "operator,admin", "camera");
        data.Add("POST", "/v1/jobs/job-1/cancel", "operator,admin", "camera");
        return data;
    }

    public async Task InitializeAsync()
    {
        // The key file holds only salted hashes; one key comes from configuration instead.
        string keyFile = _keys.File("keys.txt");
        await File.WriteAllLinesAsync(keyFile, ["# id:role:salt:hash", ApiKeyStore.FileLine("cam-1", Roles.Camera, CameraKey, "lobby"), ApiKeyStore.FileLine("ops", Roles.Operator, OperatorKey)]);
        Assert.DoesNotContain(CameraKey, await File.ReadAllTextAsync(keyFile), StringComparison.Ordinal);
        _server = await TestServer.StartAsync(
            null, "shapes",
            "--InferenceServer:Auth:Enabled=true",
            $"--InferenceServer:Auth:KeyFile={keyFile}",
            "--InferenceServer:Auth:Keys:0:Id=root",
            "--InferenceServer:Auth:Keys:0:Role=admin",
            $"--InferenceServer:Auth:Keys:0:Key={AdminKey}");
        Assert.True(await _server.WaitReadyAsync(TimeSpan.FromSeconds(60)), "health stays open");
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
        _keys.Dispose();
    }

    [Theory]
    [MemberData(nameof(RestCases))]
    public async Task Rest_EndpointByRole_AnswersUnauthorizedForbiddenOrPasses(string method, string path, string allowed, string denied)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(method, path, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(method, path, "not-a-key-at-all-xxxxxxxx")).StatusCode);
        foreach (var role in denied.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(method, path, KeyFor(role))).StatusCode);
        }

        foreach (var role in allowed.Split(','))
        {
            var status = (await SendAsync(method, path, KeyFor(role))).StatusCode;
            Assert.True(status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden), $"{role} on {method} {path} got {status}");
        }
    }

    [Fact]
    public async Task Health_StaysOpenAndMetricsOpenByDefault()
    {
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("GET", "/v2/health/live", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync("GET", "/v2/health/ready", null)).StatusCode);
        using var metrics = await _server.Metrics.GetAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
    }

    [Fact]
    public async Task Grpc_MethodsByRole_UnauthenticatedOrPermissionDenied()
    {
        var detector = new Detector.DetectorClient(_channel);
        var kserve = new GRPCInferenceService.GRPCInferenceServiceClient(_channel);
        var request = new DetectRequest { Image = new Image { Encoded = Google.Protobuf.ByteString.CopyFrom(1, 2, 3) } };

        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(async () => await detector.DetectAsync(request))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await detector.DetectAsync(request, Auth(OperatorKey)))).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await detector.DetectAsync(request, Auth(CameraKey)))).StatusCode);

        using (var stream = detector.StreamDetect(Auth(OperatorKey)))
        {
            Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext(CancellationToken.None))).StatusCode);
        }

        Assert.True((await kserve.ServerLiveAsync(new ServerLiveRequest())).Live); // health stays open
        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(async () => await kserve.ModelMetadataAsync(new ModelMetadataRequest { Name = "shapes" }))).StatusCode);
        Assert.Equal("shapes", (await kserve.ModelMetadataAsync(new ModelMetadataRequest { Name = "shapes" }, Auth(CameraKey))).Name);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await kserve.ModelInferAsync(new ModelInferRequest { ModelName = "shapes" }, Auth(OperatorKey)))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await kserve.RepositoryIndexAsync(new RepositoryIndexRequest(), Auth(CameraKey)))).StatusCode);
        Assert.NotEmpty((await kserve.RepositoryIndexAsync(new RepositoryIndexRequest(), Auth(OperatorKey))).Models);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await kserve.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "shapes" }, Auth(OperatorKey)))).StatusCode);
        await kserve.RepositoryModelLoadAsync(new RepositoryModelLoadRequest { ModelName = "shapes" }, Auth(AdminKey));

        var datasets = new Protos.Detection.V1.Datasets.DatasetsClient(_channel);
        foreach (var (key, expected) in new[] { ((string?)null, StatusCode.Unauthenticated), (CameraKey, StatusCode.PermissionDenied) })
        {
            using var upload = key is null ? datasets.UploadExamples() : datasets.UploadExamples(Auth(key));
            var ex = await RejectedCalls.StatusOfClientStreamAsync(upload, new Protos.Detection.V1.Example { Dataset = "ops" });
            Assert.Equal(expected, ex.StatusCode);
        }

        using (var upload = datasets.UploadExamples(Auth(OperatorKey)))
        {
            await upload.RequestStream.WriteAsync(new Protos.Detection.V1.Example { Dataset = "ops", Image = Google.Protobuf.ByteString.CopyFrom(1, 2, 3) });
            await upload.RequestStream.CompleteAsync();
            Assert.Contains("image", (await upload).Rejected.Single().Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Grpc_Feeds_AdminManagesOperatorReadsCameraWatchesOnlyItsFeeds()
    {
        var feeds = new Protos.Detection.V1.Feeds.FeedsClient(_channel);
        string video = Path.Combine(_keys.Path, "lobby.mp4");
        Core.Training.Synthetic.SyntheticVideoWriter.Write(video, new Core.Training.Synthetic.SceneOptions { Width = 320, Height = 192 }, 30, 15, seed: 3, objectCount: 2);
        var spec = new Protos.Detection.V1.FeedSpec { Id = "lobby", Url = video, Loop = true };

        Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(async () => await feeds.AddFeedAsync(new AddFeedRequest { Spec = spec }))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await feeds.AddFeedAsync(new AddFeedRequest { Spec = spec }, Auth(CameraKey)))).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await feeds.AddFeedAsync(new AddFeedRequest { Spec = spec }, Auth(OperatorKey)))).StatusCode);
        await feeds.AddFeedAsync(new AddFeedRequest { Spec = spec }, Auth(AdminKey));
        await feeds.AddFeedAsync(new AddFeedRequest { Spec = new Protos.Detection.V1.FeedSpec { Id = "backyard", Url = video, Loop = true } }, Auth(AdminKey));

        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await feeds.ListFeedsAsync(new ListFeedsRequest(), Auth(CameraKey)))).StatusCode);
        Assert.Equal(2, (await feeds.ListFeedsAsync(new ListFeedsRequest(), Auth(OperatorKey))).Feeds.Count);
        Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(async () => await feeds.RemoveFeedAsync(new RemoveFeedRequest { Id = "lobby" }, Auth(OperatorKey)))).StatusCode);

        // The camera key lists "lobby" only: it may watch that feed and no other.
        using (var watch = feeds.WatchFeed(new WatchFeedRequest { Id = "lobby" }, Auth(CameraKey)))
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            Assert.True(await watch.ResponseStream.MoveNext(cts.Token));
            Assert.Equal("lobby", watch.ResponseStream.Current.StreamId);
        }

        using (var watch = feeds.WatchFeed(new WatchFeedRequest { Id = "backyard" }, Auth(CameraKey)))
        {
            Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None))).StatusCode);
        }

        using (var watch = feeds.WatchFeed(new WatchFeedRequest { Id = "lobby" }))
        {
            Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(() => watch.ResponseStream.MoveNext(CancellationToken.None))).StatusCode);
        }

        await feeds.RemoveFeedAsync(new RemoveFeedRequest { Id = "backyard" }, Auth(AdminKey));
        await feeds.RemoveFeedAsync(new RemoveFeedRequest { Id = "lobby" }, Auth(AdminKey));
    }

    private static Metadata Auth(string key) => new() { { "authorization", $"Bearer {key}" } };

    private static string KeyFor(string role) => role switch
    {
        "camera" => CameraKey,
        "operator" => OperatorKey,
        _ => AdminKey,
    };

    private async Task<HttpResponseMessage> SendAsync(string method, string path, string? key)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (method != "GET")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return await _server.Http.SendAsync(request);
    }
}
