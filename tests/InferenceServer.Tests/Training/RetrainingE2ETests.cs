using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Net.Client;
using InferenceServer.Core.Detection;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Tests.Fixtures;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Training;

/// <summary>
/// The operators' loop with the real server: upload labelled examples of two new categories (plus the old ones),
/// retrain with automatic promotion while two cameras stream, and check the gate, the swap and the new detections.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class RetrainingE2ETests
{
    private static readonly string[] Old = ["circle", "square", "triangle"];
    private static readonly string[] New = ["star", "cross"];
    private readonly ITestOutputHelper _output;

    public RetrainingE2ETests(ITestOutputHelper output) => _output = output;

    [SkippableFact]
    public async Task Retrain_NewCategoriesWhileStreaming_GatePassesSwapIsSeamlessAndStreamsReportThem()
    {
        Skip.If(PythonTraining.WhyUnavailable is not null, PythonTraining.WhyUnavailable);
        await using var server = await TestServer.StartAsync(ShapesRepository.CopyTo, "shapes", null);
        Assert.True(await server.WaitReadyAsync(TimeSpan.FromSeconds(60)));
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var loop = Stopwatch.StartNew();

        // 50 frames with the new categories and 100 with the old ones (training on old and new data keeps the old
        // classes working, and gives the gate enough held-out instances of them to measure a drop).
        var scenes = new SceneOptions { MinSize = 40, MaxObjects = 5 };
        var newFrames = new SceneGenerator(scenes with { Categories = New }, 21);
        var oldFrames = new SceneGenerator(scenes with { Categories = Old }, 22);
        var examples = Enumerable.Range(0, 50).Select(i => newFrames.GenerateJpeg(i)).Concat(Enumerable.Range(0, 100).Select(i => oldFrames.GenerateJpeg(i))).ToList();
        int starBoxes = examples.Sum(e => e.Objects.Count(o => o.Label == "star"));
        int crossBoxes = examples.Sum(e => e.Objects.Count(o => o.Label == "cross"));
        Assert.True(starBoxes >= 20 && crossBoxes >= 20);

        // Most over REST (multipart), the last ten in one gRPC client stream.
        foreach (var (jpeg, objects) in examples.Take(140))
        {
            using var response = await server.Http.PostAsync(new Uri("/v1/datasets/ops/examples", UriKind.Relative), Multipart(jpeg, objects));
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }

        var datasets = new Protos.Detection.V1.Datasets.DatasetsClient(channel);
        using (var upload = datasets.UploadExamples())
        {
            foreach (var (jpeg, objects) in examples.Skip(140))
            {
                var example = new Protos.Detection.V1.Example { Dataset = "ops", Image = ByteString.CopyFrom(jpeg) };
                example.Boxes.AddRange(objects.Select(o => new Protos.Detection.V1.LabeledBox { Label = o.Label, X1 = o.X1, Y1 = o.Y1, X2 = o.X2, Y2 = o.Y2 }));
                await upload.RequestStream.WriteAsync(example);
            }

            await upload.RequestStream.CompleteAsync();
            var summary = await upload;
            Assert.Equal(10, summary.Added);
            Assert.Empty(summary.Rejected);
        }

        double uploadSeconds = loop.Elapsed.TotalSeconds;

        // Two cameras stream fresh frames (never uploaded) with all five categories, block mode, the whole time.
        var fresh = new SceneGenerator(scenes with { Categories = [.. Old, .. New] }, 23);
        var freshFrames = Enumerable.Range(0, 24).Select(i => fresh.GenerateJpeg(i)).ToArray();
        using var stop = new CancellationTokenSource();
        var results = new ConcurrentQueue<(int Frame, FrameResult Result)>();
        var cameras = Enumerable.Range(0, 2).Select(c => StreamAsync(channel, $"camera-{c}", freshFrames, results, stop.Token)).ToArray();

        var created = await server.Http.PostAsJsonAsync(new Uri("/v1/jobs", UriKind.Relative), new { model = "shapes", dataset = "ops", categories = New, promote = true });
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        string id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var job = await WaitForJobAsync(server, id, TimeSpan.FromMinutes(12));
        double trainSeconds = loop.Elapsed.TotalSeconds - uploadSeconds;
        _output.WriteLine(JsonSerializer.Serialize(job.GetProperty("report")));
        Assert.Equal("succeeded", job.GetProperty("state").GetString());
        Assert.True(job.GetProperty("promoted").GetBoolean());
        Assert.Equal("2", job.GetProperty("result_version").GetString());

        // Keep streaming on the new version for a while, then stop the cameras.
        var promotedAt = results.Count;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (results.Count(r => r.Result.Version == "2") < 2 * freshFrames.Length && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        await stop.CancelAsync();
        await Task.WhenAll(cameras);
        loop.Stop();

        var all = results.ToArray();
        Assert.All(all, r => Assert.Null(r.Result.Error)); // zero failed frames across the swap
        var before = Evaluate(all.Where(r => r.Result.Version == "1"), freshFrames);
        var after = Evaluate(all.Where(r => r.Result.Version == "2"), freshFrames);
        var gate = job.GetProperty("report").GetProperty("classes");
        string Row(string c) => $"{c,-9} gate (held-out) {gate.GetProperty(c).GetProperty("candidate_ap").GetDouble():F3} | streams before {before.GetValueOrDefault(c):F3} after {after.GetValueOrDefault(c):F3}";
        _output.WriteLine($"loop: upload {uploadSeconds:F1} s, train+validate+promote {trainSeconds:F1} s, total {loop.Elapsed.TotalSeconds:F1} s; {all.Length} streamed results ({all.Count(r => r.Result.Version == "1")} on v1, {all.Count(r => r.Result.Version == "2")} on v2), 0 failed");
        foreach (var c in Old.Concat(New))
        {
            _output.WriteLine(Row(c));
        }

        Assert.True(all.Count(r => r.Result.Version == "2") >= freshFrames.Length, "the streams moved to v2 by themselves");
        foreach (var c in New)
        {
            Assert.True(after.GetValueOrDefault(c) >= 0.6, $"{c}: AP@0.5 {after.GetValueOrDefault(c):F3} on fresh frames after promotion");
        }

        foreach (var c in Old)
        {
            Assert.True(after.GetValueOrDefault(c) >= before.GetValueOrDefault(c) - 0.1, $"{c}: {before.GetValueOrDefault(c):F3} -> {after.GetValueOrDefault(c):F3}");
        }

        // The new version carries its report and its checkpoint (the base of the next retraining).
        string v2 = Path.Combine(server.Repository, "shapes", "2");
        Assert.True(File.Exists(Path.Combine(v2, "checkpoint.pt")));
        using var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(v2, "manifest.json")));
        Assert.True(manifest.RootElement.GetProperty("metrics").GetProperty("validation").GetProperty("passed").GetBoolean());
        Assert.Equal(id, manifest.RootElement.GetProperty("provenance").GetProperty("job").GetString());
    }

    internal static MultipartFormDataContent Multipart(byte[] jpeg, IEnumerable<SceneObject> objects)
    {
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(jpeg), "image", "frame.jpg");
        form.Add(new StringContent(JsonSerializer.Serialize(new { boxes = objects.Select(o => new { label = o.Label, box = new[] { o.X1, o.Y1, o.X2, o.Y2 } }) })), "annotations");
        return form;
    }

    internal static async Task<JsonElement> WaitForJobAsync(TestServer server, string id, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var job = await server.Http.GetFromJsonAsync<JsonElement>(new Uri($"/v1/jobs/{id}", UriKind.Relative));
            string state = job.GetProperty("state").GetString()!;
            if (state is "succeeded" or "rejected" or "failed" or "cancelled")
            {
                return job;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"job {id} still {state}");
            }

            await Task.Delay(500);
        }
    }

    private static async Task StreamAsync(GrpcChannel channel, string camera, (byte[] Jpeg, IReadOnlyList<SceneObject> Objects)[] frames, ConcurrentQueue<(int, FrameResult)> results, CancellationToken stop)
    {
        var client = new Detector.DetectorClient(channel);
        using var call = client.StreamDetect();
        var reader = Task.Run(async () =>
        {
            while (await call.ResponseStream.MoveNext(CancellationToken.None))
            {
                var r = call.ResponseStream.Current;
                results.Enqueue(((int)(r.Sequence % (ulong)frames.Length), r));
            }
        });

        ulong sequence = 0;
        while (!stop.IsCancellationRequested)
        {
            var frame = new Frame { StreamId = camera, Sequence = sequence, Image = new Image { Encoded = ByteString.CopyFrom(frames[sequence % (ulong)frames.Length].Jpeg) } };
            if (sequence == 0)
            {
                frame.Backpressure = Backpressure.Block;
                frame.Options = new DetectOptions { ConfidenceThreshold = 0.05f }; // low floor: AP needs the whole curve
            }

            await call.RequestStream.WriteAsync(frame);
            sequence++;
            await Task.Delay(100); // ~10 fps per camera
        }

        await call.RequestStream.CompleteAsync();
        await reader;
    }

    private static Dictionary<string, double> Evaluate(IEnumerable<(int Frame, FrameResult Result)> results, (byte[] Jpeg, IReadOnlyList<SceneObject> Objects)[] frames)
    {
        string[] names = [.. Old, .. New];
        var evaluator = new DetectionEvaluator();
        foreach (var (frame, result) in results)
        {
            evaluator.Add(
                result.Detections.Where(d => Array.IndexOf(names, d.Label) >= 0).Select(d => new Core.Detection.Detection(d.Box.X1, d.Box.Y1, d.Box.X2, d.Box.Y2, d.Score, Array.IndexOf(names, d.Label))),
                frames[frame].Objects.Select(o => new GroundTruthBox(o.X1, o.Y1, o.X2, o.Y2, Array.IndexOf(names, o.Label))));
        }

        return evaluator.Compute().PerClass.Where(c => c.GroundTruthCount > 0).ToDictionary(c => names[c.ClassId], c => c.Ap50);
    }
}
