using System.Text.Json;
using System.Text.Json.Serialization;
using InferenceServer.Core.Training.Datasets;
using InferenceServer.Core.Training.Jobs;
using InferenceServer.Hosting;
using Microsoft.AspNetCore.Http.Features;

namespace InferenceServer.Endpoints;

/// <summary>
/// Retraining jobs over REST (operator, admin): create, list, status with progress, log, cancel. External
/// trainers (webhook) fetch the dataset and deliver the model with the job's callback token instead of a key.
/// </summary>
internal static class JobEndpoints
{
    private static readonly JsonSerializerOptions RequestJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/jobs").RequireAuthorization(Security.Roles.TrainPolicy);
        group.MapPost(string.Empty, CreateAsync);
        group.MapGet(string.Empty, (TrainingHost training) => Results.Ok(training.Jobs.List().Select(ToJson)));
        group.MapGet("/{id}", (string id, TrainingHost training) =>
            training.Jobs.Get(id) is { } job ? Results.Ok(ToJson(job)) : NotFound(id));
        group.MapGet("/{id}/log", (string id, int? lines, TrainingHost training) =>
            training.Jobs.Get(id) is null ? NotFound(id) : Results.Ok(new { lines = training.Jobs.Log(id, Math.Clamp(lines ?? 200, 1, 10_000)) }));
        group.MapPost("/{id}/cancel", (string id, TrainingHost training) =>
            training.Jobs.Get(id) is null ? NotFound(id)
            : training.Jobs.Cancel(id) ? Results.Accepted($"/v1/jobs/{id}", ToJson(training.Jobs.Get(id)!))
            : ApiError.Json(StatusCodes.Status409Conflict, $"job '{id}' has already finished"));

        // The external pipeline's side: authorised by the job's callback token (it holds no API key).
        app.MapGet("/v1/jobs/{id}/dataset", (string id, HttpContext http, TrainingHost training) =>
        {
            if (!training.Jobs.TokenMatches(id, Token(http)))
            {
                return ApiError.Json(StatusCodes.Status401Unauthorized, "a valid x-callback-token for this job is required");
            }

            return Results.File(training.Jobs.ExportDatasetZip(id), "application/zip", $"{id}-dataset.zip");
        }).AllowAnonymous();
        app.MapPost("/v1/jobs/{id}/result", DeliverAsync).AllowAnonymous().DisableAntiforgery();
    }

    internal static object ToJson(RetrainJob j) => new
    {
        id = j.Id,
        state = j.State.ToString().ToLowerInvariant(),
        model = j.Request.Model,
        base_version = j.BaseVersion,
        dataset = j.Request.Dataset,
        dataset_version = j.DatasetVersion,
        categories = j.Request.Categories,
        trainer = j.Request.Trainer,
        epochs = j.Request.Epochs,
        promote = j.Request.Promote,
        progress = j.Progress is { } p ? new { epoch = p.Epoch, epochs = p.Epochs, loss = p.Loss, eta_s = p.EtaSeconds } : null,
        error = j.Error,
        result_version = j.ResultVersion,
        promoted = j.Promoted,
        report = j.Report is { } r ? JsonSerializer.SerializeToElement(r, DatasetJson.Line) : (JsonElement?)null,
        created_at = j.CreatedAt,
        started_at = j.StartedAt,
        finished_at = j.FinishedAt,
    };

    private static async Task<IResult> CreateAsync(HttpContext http, TrainingHost training, CancellationToken ct)
    {
        JobRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<JobRequest>(http.Request.Body, RequestJson, ct);
        }
        catch (JsonException ex)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, $"invalid job JSON: {ex.Message}");
        }

        if (request is null)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, "the body must be a job object");
        }

        try
        {
            var job = await training.Jobs.CreateAsync(request, ct);
            return Results.Json(ToJson(job), statusCode: StatusCodes.Status202Accepted);
        }
        catch (DatasetException ex)
        {
            return ApiError.Json(ex.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, ex.Message);
        }
    }

    private static async Task<IResult> DeliverAsync(string id, HttpContext http, TrainingHost training, CancellationToken ct)
    {
        if (!training.Jobs.TokenMatches(id, Token(http)))
        {
            return ApiError.Json(StatusCodes.Status401Unauthorized, "a valid x-callback-token for this job is required");
        }

        if (!http.Request.HasFormContentType)
        {
            return ApiError.Json(StatusCodes.Status415UnsupportedMediaType, "send multipart/form-data with a 'model' part (and optionally 'checkpoint')");
        }

        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = training.Settings.MaxUploadBytes;
        }

        var form = await http.Request.ReadFormAsync(new FormOptions { MultipartBodyLengthLimit = training.Settings.MaxUploadBytes }, ct);
        var model = form.Files.GetFile("model");
        if (model is null || model.Length == 0)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, "the 'model' file part is missing");
        }

        await using var onnx = model.OpenReadStream();
        await using var checkpoint = form.Files.GetFile("checkpoint")?.OpenReadStream();
        return await training.Jobs.DeliverAsync(id, onnx, checkpoint, ct)
            ? Results.Accepted($"/v1/jobs/{id}")
            : ApiError.Json(StatusCodes.Status409Conflict, $"job '{id}' is not waiting for a model");
    }

    private static string? Token(HttpContext http) => http.Request.Headers["x-callback-token"].FirstOrDefault();

    private static IResult NotFound(string id) => ApiError.Json(StatusCodes.Status404NotFound, $"job '{id}' does not exist");
}
