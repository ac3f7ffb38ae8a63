using System.IO.Compression;
using System.Text.Json;
using InferenceServer.Core.Feeds;
using InferenceServer.Core.Pipeline;
using InferenceServer.Core.Training.Datasets;
using InferenceServer.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace InferenceServer.Endpoints;

/// <summary>
/// Datasets over REST (operator, admin): add labelled examples (multipart image + JSON boxes with category names),
/// capture a feed's or a StreamDetect stream's current frame, freeze versions, import/export YOLO and COCO as zip archives.
/// </summary>
internal static class DatasetEndpoints
{
    // A camera sending a frame a second, or a feed reconnecting, still answers within this.
    private static readonly TimeSpan CaptureTimeout = TimeSpan.FromSeconds(10);

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/datasets").RequireAuthorization(Security.Roles.TrainPolicy);
        group.MapGet(string.Empty, (TrainingHost training) => Results.Ok(training.Datasets.List().Select(ToJson)));
        group.MapGet("/{name}", (string name, TrainingHost training) => Run(() => Results.Ok(ToJson(training.Datasets.Get(name, create: false).Summary()))));
        group.MapPost("/{name}/examples", AddExampleAsync).DisableAntiforgery();
        group.MapPost("/{name}/versions", (string name, TrainingHost training, CancellationToken ct) => RunAsync(async () =>
        {
            var version = await training.Datasets.Get(name, create: false).CreateVersionAsync(ct);
            return Results.Json(version, Core.Training.Datasets.DatasetJson.Line, statusCode: StatusCodes.Status201Created);
        }));
        group.MapPost("/{name}/capture", CaptureAsync);
        group.MapPost("/{name}/import", ImportAsync);
        group.MapGet("/{name}/export", Export);
    }

    internal static object ToJson(DatasetSummary s) => new
    {
        name = s.Name,
        images = s.Images,
        labelled = s.Labelled,
        unlabelled = s.Unlabelled,
        holdout = s.Holdout,
        categories = s.Categories,
        boxes = s.Boxes,
        versions = s.Versions.Select(v => new { version = v.Version, examples = v.LogLength, categories = v.Categories, created_at = v.CreatedAt }),
    };

    private static async Task<IResult> AddExampleAsync(string name, HttpContext http, TrainingHost training, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
        {
            return ApiError.Json(StatusCodes.Status415UnsupportedMediaType, "send multipart/form-data with an 'image' file part and an 'annotations' JSON part");
        }

        IFormCollection form;
        try
        {
            AllowBody(http, training.Settings.MaxUploadBytes);
            form = await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = training.Settings.MaxUploadBytes }, ct);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return ApiError.Json(StatusCodes.Status413PayloadTooLarge, $"upload rejected: {ex.Message}");
        }

        var file = form.Files.GetFile("image");
        if (file is null)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, "the 'image' file part is missing");
        }

        IReadOnlyList<LabeledBox>? boxes;
        try
        {
            boxes = ParseAnnotations(form["annotations"].ToString());
        }
        catch (DatasetException ex)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, ex.Message);
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, ct);
        return await RunAsync(async () =>
        {
            var (example, duplicate) = await training.Datasets.Get(name, create: true).AddAsync(buffer.ToArray(), boxes, "upload", ct);
            return Results.Json(ExampleJson(example, duplicate), statusCode: duplicate ? StatusCodes.Status200OK : StatusCodes.Status201Created);
        });
    }

    /// <summary>{"boxes":[{"label":"star","box":[x1,y1,x2,y2]}]}; empty or absent means "unlabelled, label later".</summary>
    internal static IReadOnlyList<LabeledBox>? ParseAnnotations(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            if (!doc.RootElement.TryGetProperty("boxes", out var boxes) || boxes.ValueKind != JsonValueKind.Array)
            {
                throw new DatasetException("annotations: expected {\"boxes\": [{\"label\": \"name\", \"box\": [x1, y1, x2, y2]}, ...]}.");
            }

            var list = new List<LabeledBox>();
            int i = 0;
            foreach (var b in boxes.EnumerateArray())
            {
                if (b.ValueKind != JsonValueKind.Object || !b.TryGetProperty("label", out var label) || label.ValueKind != JsonValueKind.String
                    || !b.TryGetProperty("box", out var box) || box.ValueKind != JsonValueKind.Array || box.GetArrayLength() != 4
                    || box.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.Number))
                {
                    throw new DatasetException($"annotations.boxes[{i}]: expected {{\"label\": \"name\", \"box\": [x1, y1, x2, y2]}} with numbers.");
                }

                var v = box.EnumerateArray().Select(x => x.GetSingle()).ToArray();
                list.Add(new LabeledBox(label.GetString()!, v[0], v[1], v[2], v[3]));
                i++;
            }

            return list;
        }
        catch (JsonException ex)
        {
            throw new DatasetException($"annotations: invalid JSON ({ex.Message}).");
        }
    }

    private static async Task<IResult> CaptureAsync(string name, HttpContext http, TrainingHost training, FeedHost feeds, PipelineHost pipeline, CancellationToken ct)
    {
        string? feed, stream;
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: ct);
            feed = StringProperty(doc.RootElement, "feed");
            stream = StringProperty(doc.RootElement, "stream");
        }
        catch (JsonException ex)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, $"invalid JSON: {ex.Message}");
        }

        if (string.IsNullOrEmpty(feed) == string.IsNullOrEmpty(stream))
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, "expected {\"feed\": \"feed id\"} or {\"stream\": \"stream id\"}");
        }

        bool fromFeed = feed is { Length: > 0 };
        byte[]? image;
        try
        {
            if (fromFeed)
            {
                image = await feeds.Manager.CaptureAsync(feed!, CaptureTimeout, ct);
            }
            else
            {
                var open = pipeline.Pipeline.FindStreams(stream!);
                if (open.Count == 0)
                {
                    return ApiError.Json(StatusCodes.Status404NotFound, $"no stream '{stream}' is open (StreamDetect frames carry the stream_id).");
                }

                image = await FrameCapture.FirstAsync([.. open.Select(s => s.Capture)], CaptureTimeout, ct);
            }
        }
        catch (FeedRequestException ex)
        {
            return ApiError.Json(StatusCodes.Status404NotFound, ex.Message);
        }

        if (image is null)
        {
            return ApiError.Json(StatusCodes.Status503ServiceUnavailable, $"{(fromFeed ? "feed" : "stream")} '{(fromFeed ? feed : stream)}' delivered no frame within {CaptureTimeout.TotalSeconds:F0} s");
        }

        return await RunAsync(async () =>
        {
            var (example, duplicate) = await training.Datasets.Get(name, create: true).AddAsync(image, null, fromFeed ? "feed:" + feed : "stream:" + stream, ct);
            return Results.Json(ExampleJson(example, duplicate), statusCode: StatusCodes.Status201Created);
        });
    }

    private static string? StringProperty(JsonElement root, string name) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static async Task<IResult> ImportAsync(string name, string? format, HttpContext http, TrainingHost training, CancellationToken ct)
    {
        if (format is not ("yolo" or "coco"))
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, "query parameter 'format' must be yolo or coco");
        }

        if (http.Request.ContentType?.StartsWith("application/zip", StringComparison.OrdinalIgnoreCase) != true)
        {
            return ApiError.Json(StatusCodes.Status415UnsupportedMediaType, "send the dataset folder as application/zip");
        }

        string temp = Path.Combine(Path.GetTempPath(), $"infsrv-import-{Guid.NewGuid():N}");
        try
        {
            AllowBody(http, training.Settings.MaxUploadBytes);
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body, ct);
            body.Position = 0;
            return await RunAsync(async () =>
            {
                var dataset = training.Datasets.Get(name, create: true);
                ZipImport.Extract(body, temp, training.Settings.MaxUploadBytes * 4);
                var examples = format == "yolo" ? YoloFormat.Import(temp) : CocoFormat.Import(temp);
                int added = 0;
                int duplicates = 0;
                var rejected = new List<object>();
                foreach (var e in examples)
                {
                    if (e.Error is not null || e.Image is null)
                    {
                        rejected.Add(new { file = e.File, reason = e.Error ?? "unreadable" });
                        continue;
                    }

                    try
                    {
                        var (_, duplicate) = await dataset.AddAsync(e.Image, e.Boxes, $"import:{format}", ct);
                        (duplicate ? ref duplicates : ref added)++;
                    }
                    catch (DatasetException ex)
                    {
                        rejected.Add(new { file = e.File, reason = ex.Message });
                    }
                }

                return Results.Ok(new { added, duplicates, rejected });
            });
        }
        catch (BadHttpRequestException ex)
        {
            return ApiError.Json(StatusCodes.Status413PayloadTooLarge, $"upload rejected: {ex.Message}");
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static IResult Export(string name, string? format, int? version, TrainingHost training) => Run(() =>
    {
        if (format is not ("yolo" or "coco"))
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, "query parameter 'format' must be yolo or coco");
        }

        var snapshot = training.Datasets.Get(name, create: false).Snapshot(version);
        string temp = Path.Combine(Path.GetTempPath(), $"infsrv-export-{Guid.NewGuid():N}");
        try
        {
            if (format == "yolo")
            {
                YoloFormat.Export(snapshot, snapshot.Examples, snapshot.Version.Categories, temp);
            }
            else
            {
                CocoFormat.Export(snapshot, snapshot.Examples, temp);
            }

            var zip = new MemoryStream();
            ZipFile.CreateFromDirectory(temp, zip);
            zip.Position = 0;
            return Results.File(zip, "application/zip", $"{name}-v{snapshot.Version.Version}-{format}.zip");
        }
        finally
        {
            Directory.Delete(temp, recursive: true);
        }
    });

    private static object ExampleJson(Example e, bool duplicate) => new
    {
        id = e.Id,
        width = e.Width,
        height = e.Height,
        boxes = e.Boxes?.Count,
        labelled = e.Boxes is not null,
        holdout = e.Holdout,
        duplicate,
    };

    private static void AllowBody(HttpContext http, long max)
    {
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = max + (1024 * 1024);
        }
    }

    private static IResult Run(Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (DatasetException ex)
        {
            return ApiError.Json(ex.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, ex.Message);
        }
    }

    private static async Task<IResult> RunAsync(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (DatasetException ex)
        {
            return ApiError.Json(ex.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, ex.Message);
        }
    }
}
