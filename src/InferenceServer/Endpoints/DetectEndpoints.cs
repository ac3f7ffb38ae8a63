using InferenceServer.Configuration;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Telemetry;
using InferenceServer.Hosting;
using Microsoft.Extensions.Options;

namespace InferenceServer.Endpoints;

/// <summary><c>POST /v1/detect</c>: one encoded image in the body, detections as JSON.</summary>
internal static class DetectEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/detect", DetectAsync);
    }

    private static async Task<IResult> DetectAsync(HttpContext http, ModelHost models, IOptions<ServerOptions> options, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        string? name = query["model"];
        string? version = query["version"];
        if (!models.IsReady)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, models.LoadError ?? "the default model is still loading");
        }

        var model = models.Find(name, version);
        if (model is null)
        {
            return Error(StatusCodes.Status404NotFound, $"model '{name}' version '{version ?? "any"}' is not loaded");
        }

        var (postprocess, error) = RequestOptionsParser.Parse(query, model);
        if (postprocess is null)
        {
            return Error(StatusCodes.Status400BadRequest, error!);
        }

        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body, cancellationToken);
        var limits = new ImageLimits { MaxPixels = options.Value.MaxImagePixels };
        try
        {
            var result = await model.DetectAsync(body.GetBuffer().AsMemory(0, (int)body.Length), limits, postprocess, cancellationToken);
            Record(result);
            return Results.Ok(ToResponse(result));
        }
        catch (ImageDecodeException ex)
        {
            ServerMetrics.Requests.WithLabels(model.Name, model.Version, "bad_image").Inc();
            int status = ex.Kind == ImageErrorKind.TooLarge ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest;
            return Error(status, ex.Message);
        }
    }

    internal static DetectResponse ToResponse(DetectionResult result)
    {
        var items = result.Detections
            .Select(d => new DetectResponse.Item(d.Label, d.ClassId, d.Score, [d.X1, d.Y1, d.X2, d.Y2]))
            .ToArray();
        var t = result.Timings;
        return new DetectResponse(
            result.Model, result.Version, result.ImageWidth, result.ImageHeight, items,
            new DetectResponse.Timing(t.QueueMs, t.DecodeMs, t.PreprocessMs, t.InferenceMs, t.PostprocessMs, t.TotalMs));
    }

    private static void Record(DetectionResult result)
    {
        ServerMetrics.Requests.WithLabels(result.Model, result.Version, "ok").Inc();
        var t = result.Timings;
        ServerMetrics.StageSeconds.WithLabels(result.Model, "queue").Observe(t.QueueMs / 1000);
        ServerMetrics.StageSeconds.WithLabels(result.Model, "decode").Observe(t.DecodeMs / 1000);
        ServerMetrics.StageSeconds.WithLabels(result.Model, "preprocess").Observe(t.PreprocessMs / 1000);
        ServerMetrics.StageSeconds.WithLabels(result.Model, "inference").Observe(t.InferenceMs / 1000);
        ServerMetrics.StageSeconds.WithLabels(result.Model, "postprocess").Observe(t.PostprocessMs / 1000);
        ServerMetrics.StageSeconds.WithLabels(result.Model, "total").Observe(t.TotalMs / 1000);
    }

    private static IResult Error(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
