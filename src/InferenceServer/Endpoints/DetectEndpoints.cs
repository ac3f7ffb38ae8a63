using InferenceServer.Core.Inference;
using InferenceServer.Core.Pipeline;
using InferenceServer.Hosting;

namespace InferenceServer.Endpoints;

/// <summary><c>POST /v1/detect</c>: one encoded image in the body, detections as JSON.</summary>
internal static class DetectEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/detect", DetectAsync).RequireAuthorization(Security.Roles.InferPolicy);
    }

    private static async Task<IResult> DetectAsync(HttpContext http, ModelHost models, PipelineHost pipeline, CancellationToken cancellationToken)
    {
        var query = http.Request.Query;
        string? name = query["model"];
        string? version = query["version"];
        if (string.IsNullOrEmpty(name) && !models.IsReady)
        {
            return ApiError.Json(StatusCodes.Status503ServiceUnavailable, models.LoadError ?? "the default model is still loading");
        }

        var lease = models.Acquire(name, version);
        if (lease is null)
        {
            return ApiError.Json(StatusCodes.Status404NotFound, $"model '{name}' version '{version ?? "any"}' is not loaded");
        }

        var model = lease.Model;
        var (postprocess, error) = RequestOptionsParser.Parse(query, model);
        if (postprocess is null)
        {
            lease.Dispose();
            return ApiError.Json(StatusCodes.Status400BadRequest, error!);
        }

        using var body = new MemoryStream();
        try
        {
            await http.Request.Body.CopyToAsync(body, cancellationToken);
        }
        catch
        {
            lease.Dispose();
            throw;
        }

        var frame = FrameRequest.ForEncoded(model, postprocess, body.GetBuffer().AsMemory(0, (int)body.Length));
        frame.Lease = lease;
        var outcome = await pipeline.Pipeline.RunAsync(frame, cancellationToken);
        if (outcome.Result is { } result)
        {
            return Results.Ok(ToResponse(result));
        }

        int status = outcome.Error switch
        {
            FrameErrorCode.TooLarge => StatusCodes.Status413PayloadTooLarge,
            FrameErrorCode.InvalidArgument => StatusCodes.Status400BadRequest,
            FrameErrorCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
            FrameErrorCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status500InternalServerError,
        };
        return ApiError.Json(status, outcome.ErrorMessage ?? "failed");
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
}
