using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.Tests.Fixtures;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace InferenceServer.Tests.Training;

/// <summary>Datasets and jobs through the real server's REST API (trainers that need no PyTorch).</summary>
public sealed class TrainingApiTests
{
    private static readonly SceneGenerator Scenes = new(new SceneOptions { Width = 320, Height = 192, MinSize = 16, MaxObjects = 3, Categories = ["star", "cross", "circle"] }, 8);

    [Fact]
    public async Task Examples_Rest_AddDuplicateAndBadInputAnswerPrecisely()
    {
        await using var server = await StartAsync();
        var (jpeg, objects) = Scenes.GenerateJpeg(0);
        using (var r = await server.Http.PostAsync(Url("/v1/datasets/ops/examples"), RetrainingE2ETests.Multipart(jpeg, objects)))
        {
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }

        using (var r = await server.Http.PostAsync(Url("/v1/datasets/ops/examples"), RetrainingE2ETests.Multipart(jpeg, objects)))
        {
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.True((await r.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());
        }

        await ExpectAsync(server, "/v1/datasets/ops/examples", Form(jpeg, """{"boxes":[{"label":"star","box":[0,0,999,10]}]}"""), HttpStatusCode.BadRequest, "outside the 320x192 image");
        await ExpectAsync(server, "/v1/datasets/ops/examples", Form(jpeg, """{"boxes":[{"label":"star","box":[0,0,"a",10]}]}"""), HttpStatusCode.BadRequest, "with numbers");
        await ExpectAsync(server, "/v1/datasets/ops/examples", Form(jpeg, """{"boxes":"""), HttpStatusCode.BadRequest, "invalid JSON");
        await ExpectAsync(server, "/v1/datasets/ops/examples", Form("not an image"u8.ToArray(), """{"boxes":[]}"""), HttpStatusCode.BadRequest, "image:");
        await ExpectAsync(server, "/v1/datasets/..%2Fescape/examples", Form(jpeg, """{"boxes":[]}"""), HttpStatusCode.BadRequest, "invalid");
        await ExpectAsync(server, "/v1/datasets/ops/examples", new StringContent("{}", Encoding.UTF8, "application/json"), HttpStatusCode.UnsupportedMediaType, "multipart");
        using var form = new MultipartFormDataContent { { new StringContent("{}"), "annotations" } };
        await ExpectAsync(server, "/v1/datasets/ops/examples", form, HttpStatusCode.BadRequest, "'image'");

        var summary = await server.Http.GetFromJsonAsync<JsonElement>(Url("/v1/datasets/ops"));
        Assert.Equal(1, summary.GetProperty("images").GetInt32()); // only the good example
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync(Url("/v1/datasets/none"))).StatusCode);
    }

    [Fact]
    public async Task ImportExport_YoloZipRoundTrips_AndATraversalEntryIsRefused()
    {
        await using var server = await StartAsync();
        for (int i = 0; i < 4; i++)
        {
            var (jpeg, objects) = Scenes.GenerateJpeg(i);
            (await server.Http.PostAsync(Url("/v1/datasets/ops/examples"), RetrainingE2ETests.Multipart(jpeg, objects))).EnsureSuccessStatusCode();
        }

        Assert.Equal(HttpStatusCode.Created, (await server.Http.PostAsync(Url("/v1/datasets/ops/versions"), null)).StatusCode);
        using var export = await server.Http.GetAsync(Url("/v1/datasets/ops/export?format=yolo"));
        Assert.Equal("application/zip", export.Content.Headers.ContentType?.MediaType);
        byte[] zip = await export.Content.ReadAsByteArrayAsync();
        using (var archive = new ZipArchive(new MemoryStream(zip)))
        {
            Assert.Contains(archive.Entries, e => e.FullName == "data.yaml");
            Assert.Equal(4, archive.Entries.Count(e => e.FullName.StartsWith("labels", StringComparison.Ordinal)));
        }

        using var import = await server.Http.PostAsync(Url("/v1/datasets/copy/import?format=yolo"), Zip(zip));
        var result = await import.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(4, result.GetProperty("added").GetInt32());
        Assert.Equal(0, result.GetProperty("rejected").GetArrayLength());

        using var evil = new MemoryStream();
        using (var archive = new ZipArchive(evil, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var w = new StreamWriter(archive.CreateEntry("../../outside.txt").Open());
            w.Write("0 0.5 0.5 0.1 0.1");
        }

        await ExpectAsync(server, "/v1/datasets/copy/import?format=yolo", Zip(evil.ToArray()), HttpStatusCode.BadRequest, "outside");
        await ExpectAsync(server, "/v1/datasets/copy/import?format=yolo", Zip("not a zip"u8.ToArray()), HttpStatusCode.BadRequest, "not a zip");
        await ExpectAsync(server, "/v1/datasets/copy/import?format=voc", Zip(zip), HttpStatusCode.BadRequest, "format");
    }

    [Fact]
    public async Task Capture_FromAFeed_StoresTheCurrentFrameUnlabelled()
    {
        await using var server = await StartAsync();
        string video = Path.Combine(server.DataRoot, "gate.mp4");
        SyntheticVideoWriter.Write(video, new SceneOptions { Width = 320, Height = 192 }, 30, 15, seed: 4, objectCount: 2);
        (await server.Http.PostAsync(Url("/v1/feeds"), new StringContent($$"""{"id":"gate","url":{{JsonSerializer.Serialize(video)}},"loop":true}""", Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();
        using var captured = await server.Http.PostAsync(Url("/v1/datasets/ops/capture"), new StringContent("""{"feed":"gate"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, captured.StatusCode);
        var example = await captured.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(example.GetProperty("labelled").GetBoolean());
        Assert.Equal(320, example.GetProperty("width").GetInt32());
        Assert.Equal(1, (await server.Http.GetFromJsonAsync<JsonElement>(Url("/v1/datasets/ops"))).GetProperty("unlabelled").GetInt32());
        await ExpectAsync(server, "/v1/datasets/ops/capture", new StringContent("""{"feed":"nope"}""", Encoding.UTF8, "application/json"), HttpStatusCode.NotFound, "nope");
    }

    [Fact]
    public async Task Capture_FromAStreamDetectStream_StoresTheCamerasFrameEncodedOrRaw()
    {
        await using var server = await StartAsync();
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Detection.V1.Detector.DetectorClient(channel);
        var (jpeg, _) = Scenes.GenerateJpeg(21);
        using var scene = OpenCvSharp.Cv2.ImDecode(jpeg, OpenCvSharp.ImreadModes.Color);
        byte[] bgr = new byte[scene.Total() * 3];
        System.Runtime.InteropServices.Marshal.Copy(scene.Data, bgr, 0, bgr.Length);

        // Camera "dock" sends JPEG bytes: the capture is exactly what it sent (same content address).
        var dock = await CaptureWhileStreamingAsync(server, client, "dock", new Protos.Detection.V1.Image { Encoded = Google.Protobuf.ByteString.CopyFrom(jpeg) });
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(jpeg)), dock.GetProperty("id").GetString());
        Assert.False(dock.GetProperty("labelled").GetBoolean());

        // Camera "yard" sends raw BGR: the capture is that frame, encoded as JPEG.
        var raw = new Protos.Detection.V1.Image { Raw = new Protos.Detection.V1.RawImage { Format = Protos.Detection.V1.PixelFormat.Bgr24, Width = scene.Width, Height = scene.Height, Data = Google.Protobuf.ByteString.CopyFrom(bgr) } };
        var yard = await CaptureWhileStreamingAsync(server, client, "yard", raw);
        Assert.Equal(scene.Width, yard.GetProperty("width").GetInt32());
        Assert.Equal(scene.Height, yard.GetProperty("height").GetInt32());
        var summary = await server.Http.GetFromJsonAsync<JsonElement>(Url("/v1/datasets/ops"));
        Assert.Equal(2, summary.GetProperty("unlabelled").GetInt32());

        await ExpectAsync(server, "/v1/datasets/ops/capture", new StringContent("""{"stream":"nope"}""", Encoding.UTF8, "application/json"), HttpStatusCode.NotFound, "nope");
        await ExpectAsync(server, "/v1/datasets/ops/capture", new StringContent("""{"stream":"dock","feed":"gate"}""", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "stream");
        await ExpectAsync(server, "/v1/datasets/ops/capture", new StringContent("""{"stream":7}""", Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, "stream");
    }

    private static async Task<JsonElement> CaptureWhileStreamingAsync(TestServer server, Protos.Detection.V1.Detector.DetectorClient client, string streamId, Protos.Detection.V1.Image image)
    {
        using var call = client.StreamDetect();
        using var stop = new CancellationTokenSource();
        var camera = Task.Run(async () =>
        {
            for (ulong i = 0; !stop.IsCancellationRequested; i++)
            {
                await call.RequestStream.WriteAsync(new Protos.Detection.V1.Frame { StreamId = streamId, Sequence = i, Image = image });
                await call.ResponseStream.MoveNext(CancellationToken.None);
                await Task.Delay(20);
            }

            await call.RequestStream.CompleteAsync();
        });
        var pipeline = ((InferenceServer.Hosting.PipelineHost)server.Services.GetService(typeof(InferenceServer.Hosting.PipelineHost))!).Pipeline;
        while (pipeline.FindStreams(streamId).Count == 0)
        {
            await Task.Delay(10);
        }

        using var captured = await server.Http.PostAsync(Url("/v1/datasets/ops/capture"), new StringContent($$"""{"stream":"{{streamId}}"}""", Encoding.UTF8, "application/json"));
        string body = await captured.Content.ReadAsStringAsync();
        Assert.True(captured.StatusCode == HttpStatusCode.Created, body);
        await stop.CancelAsync();
        await camera;
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task Jobs_BadRequests_AnswerWithTheRightStatus()
    {
        await using var server = await StartAsync();
        await AddExamplesAsync(server, 3);
        await ExpectAsync(server, "/v1/jobs", Json(new { model = "nope", dataset = "ops", categories = new[] { "star" } }), HttpStatusCode.NotFound, "not loaded");
        await ExpectAsync(server, "/v1/jobs", Json(new { model = "shapes", dataset = "none", categories = new[] { "star" } }), HttpStatusCode.NotFound, "does not exist");
        await ExpectAsync(server, "/v1/jobs", Json(new { model = "shapes", dataset = "ops", categories = new[] { "unicorn" } }), HttpStatusCode.BadRequest, "unicorn");
        await ExpectAsync(server, "/v1/jobs", Json(new { model = "shapes", dataset = "ops", categories = Array.Empty<string>() }), HttpStatusCode.BadRequest, "at least one");
        await ExpectAsync(server, "/v1/jobs", Json(new { model = "shapes", dataset = "ops", categories = new[] { "star" }, trainer = "magic" }), HttpStatusCode.BadRequest, "trainer");
        await ExpectAsync(server, "/v1/jobs", Json(new { model = "shapes", dataset = "ops", categories = new[] { "star" }, epochz = 3 }), HttpStatusCode.BadRequest, "epochz");
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync(Url("/v1/jobs/job-x"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.PostAsync(Url("/v1/jobs/job-x/cancel"), null)).StatusCode);
    }

    [Fact]
    public async Task Job_TrainerFails_FailedWithItsOutputAndProgressParsed()
    {
        const string Script = "import sys; print('progress {\"epoch\": 1, \"epochs\": 3, \"loss\": 0.5, \"eta_s\": 2}', flush=True); sys.exit('CUDA out of memory')";
        await using var server = await StartAsync("--InferenceServer:Training:Command:0=/usr/bin/python3", "--InferenceServer:Training:Command:1=-c", $"--InferenceServer:Training:Command:2={Script}");
        await AddExamplesAsync(server, 3);
        string id = await CreateJobAsync(server, new { model = "shapes", dataset = "ops", categories = new[] { "star" } });
        var job = await RetrainingE2ETests.WaitForJobAsync(server, id, TimeSpan.FromSeconds(60));
        Assert.Equal("failed", job.GetProperty("state").GetString());
        Assert.Contains("CUDA out of memory", job.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, job.GetProperty("progress").GetProperty("epoch").GetInt32());
        var log = await server.Http.GetFromJsonAsync<JsonElement>(Url($"/v1/jobs/{id}/log"));
        Assert.Contains(log.GetProperty("lines").EnumerateArray(), l => l.GetString()!.Contains("CUDA out of memory", StringComparison.Ordinal));
        Assert.Single(Directory.GetDirectories(Path.Combine(server.Repository, "shapes"))); // nothing registered
    }

    [Fact]
    public async Task Jobs_SecondJobQueuesBehindTheFirst_CancelStopsTheTrainer_RestartMarksInterrupted()
    {
        using var data = new TempDirectory();
        var server = await TestServer.StartAsync(
            repo => TestModelFiles.WriteVersion(repo, "shapes", "1", TestModelFiles.ShapesYoloV8()), "shapes", data,
            "--InferenceServer:Training:Command:0=/bin/sleep", "--InferenceServer:Training:Command:1=60");
        server.KeepData = true;
        Assert.True(await server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        await AddExamplesAsync(server, 3);
        string first = await CreateJobAsync(server, new { model = "shapes", dataset = "ops", categories = new[] { "star" } });
        string second = await CreateJobAsync(server, new { model = "shapes", dataset = "ops", categories = new[] { "star" } });
        string third = await CreateJobAsync(server, new { model = "shapes", dataset = "ops", categories = new[] { "star" } });
        await WaitStateAsync(server, first, "training");
        Assert.Equal("queued", await StateAsync(server, second)); // one job at a time per model

        // Cancelling the running job kills its trainer; the next one starts.
        Assert.Equal(HttpStatusCode.Accepted, (await server.Http.PostAsync(Url($"/v1/jobs/{first}/cancel"), null)).StatusCode);
        await WaitStateAsync(server, first, "cancelled");
        await WaitStateAsync(server, second, "training");
        Assert.Equal(HttpStatusCode.Conflict, (await server.Http.PostAsync(Url($"/v1/jobs/{first}/cancel"), null)).StatusCode);

        // The server stops mid-job: after the restart the running job is failed (interrupted), the queued one runs.
        await server.DisposeAsync();
        await using var restarted = await TestServer.StartAsync(
            repo => TestModelFiles.WriteVersion(repo, "shapes", "1", TestModelFiles.ShapesYoloV8()), "shapes", data,
            "--InferenceServer:Training:Command:0=/bin/true");
        Assert.True(await restarted.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        var interrupted = await restarted.Http.GetFromJsonAsync<JsonElement>(Url($"/v1/jobs/{second}"));
        Assert.Equal("failed", interrupted.GetProperty("state").GetString());
        Assert.Contains("interrupted", interrupted.GetProperty("error").GetString(), StringComparison.Ordinal);
        var resumed = await RetrainingE2ETests.WaitForJobAsync(restarted, third, TimeSpan.FromSeconds(30));
        Assert.Equal("failed", resumed.GetProperty("state").GetString()); // /bin/true "trains" nothing
        Assert.Contains("wrote no", resumed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal("cancelled", await StateAsync(restarted, first));
    }

    [Fact]
    public async Task WebhookTrainer_ExternalPipelineFetchesTheDatasetAndDeliversAModel_GateRejectsAModelWithoutTheNewClass()
    {
        var specs = new ConcurrentQueue<JsonElement>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var pipeline = builder.Build();
        pipeline.MapPost("/kubeflow", async (HttpRequest request) =>
        {
            specs.Enqueue(await JsonSerializer.DeserializeAsync<JsonElement>(request.Body));
            return Results.Ok();
        });
        await pipeline.StartAsync();

        await using var server = await StartAsync($"--InferenceServer:Training:WebhookUrl={pipeline.Urls.First()}/kubeflow");
        await AddExamplesAsync(server, 30);
        string id = await CreateJobAsync(server, new { model = "shapes", dataset = "ops", categories = new[] { "star", "cross" }, trainer = "webhook" });
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (specs.IsEmpty && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(specs.TryDequeue(out var spec), "the pipeline received the job");
        Assert.Equal(id, spec.GetProperty("job_id").GetString());
        string token = spec.GetProperty("callback_token").GetString()!;
        using var external = new HttpClient();

        // Without the token nothing is handed out or accepted.
        Assert.Equal(HttpStatusCode.Unauthorized, (await external.GetAsync(spec.GetProperty("dataset_url").GetString())).StatusCode);
        using var dataset = new HttpRequestMessage(HttpMethod.Get, spec.GetProperty("dataset_url").GetString());
        dataset.Headers.Add("x-callback-token", token);
        using var zip = await external.SendAsync(dataset);
        Assert.Equal(HttpStatusCode.OK, zip.StatusCode);
        using (var archive = new ZipArchive(await zip.Content.ReadAsStreamAsync()))
        {
            Assert.Contains(archive.Entries, e => e.FullName == "data.yaml");
            Assert.True(archive.Entries.Count(e => e.FullName.StartsWith("images", StringComparison.Ordinal)) >= 15); // training split only
        }

        // The "pipeline" delivers a model that never learned the new classes: the gate must refuse it.
        using var result = new MultipartFormDataContent { { new ByteArrayContent(TestModelFiles.ShapesYoloV8()), "model", "model.onnx" } };
        using var wrongToken = new HttpRequestMessage(HttpMethod.Post, spec.GetProperty("result_url").GetString()) { Content = result };
        wrongToken.Headers.Add("x-callback-token", (token[0] == 'a' ? "b" : "a") + token[1..]);
        Assert.Equal(HttpStatusCode.Unauthorized, (await external.SendAsync(wrongToken)).StatusCode);
        using var delivery = new HttpRequestMessage(HttpMethod.Post, spec.GetProperty("result_url").GetString())
        {
            Content = new MultipartFormDataContent { { new ByteArrayContent(TestModelFiles.ShapesYoloV8()), "model", "model.onnx" } },
        };
        delivery.Headers.Add("x-callback-token", token);
        Assert.Equal(HttpStatusCode.Accepted, (await external.SendAsync(delivery)).StatusCode);

        var job = await RetrainingE2ETests.WaitForJobAsync(server, id, TimeSpan.FromSeconds(60));
        Assert.Equal("rejected", job.GetProperty("state").GetString());
        var report = job.GetProperty("report");
        Assert.False(report.GetProperty("passed").GetBoolean());
        Assert.Equal(0, report.GetProperty("classes").GetProperty("star").GetProperty("candidate_ap").GetDouble());
        Assert.Contains(report.GetProperty("reasons").EnumerateArray(), r => r.GetString()!.Contains("'star'", StringComparison.Ordinal));
        Assert.Single(Directory.GetDirectories(Path.Combine(server.Repository, "shapes"))); // nothing registered
    }

    private static async Task<TestServer> StartAsync(params string[] args)
    {
        var server = await TestServer.StartAsync(null, "shapes", args);
        Assert.True(await server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        return server;
    }

    private static async Task AddExamplesAsync(TestServer server, int count)
    {
        for (int i = 0; i < count; i++)
        {
            var (jpeg, objects) = Scenes.GenerateJpeg(100 + i);
            (await server.Http.PostAsync(Url("/v1/datasets/ops/examples"), RetrainingE2ETests.Multipart(jpeg, objects))).EnsureSuccessStatusCode();
        }
    }

    private static async Task<string> CreateJobAsync(TestServer server, object request)
    {
        using var response = await server.Http.PostAsync(Url("/v1/jobs"), Json(request));
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        return JsonDocument.Parse(body).RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<string> StateAsync(TestServer server, string id) =>
        (await server.Http.GetFromJsonAsync<JsonElement>(Url($"/v1/jobs/{id}"))).GetProperty("state").GetString()!;

    private static async Task WaitStateAsync(TestServer server, string id, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string current;
        while ((current = await StateAsync(server, id)) != state)
        {
            Assert.True(DateTime.UtcNow < deadline, $"job {id} is {current}, expected {state}");
            await Task.Delay(100);
        }
    }

    private static async Task ExpectAsync(TestServer server, string path, HttpContent content, HttpStatusCode status, string fragment)
    {
        using var response = await server.Http.PostAsync(Url(path), content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{path}: {(int)response.StatusCode} {body}");
        Assert.Contains(fragment, body, StringComparison.Ordinal);
    }

    private static MultipartFormDataContent Form(byte[] image, string annotations) =>
        new() { { new ByteArrayContent(image), "image", "x.jpg" }, { new StringContent(annotations), "annotations" } };

    private static ByteArrayContent Zip(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        return content;
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static Uri Url(string path) => new(path, UriKind.Relative);
}
