using System.Text.Json;
using InferenceServer.Configuration;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Registry;
using InferenceServer.Hosting;
using Microsoft.Extensions.Options;

namespace InferenceServer.Endpoints;

/// <summary>Model registry control over REST: list, load, unload, aliases, promote, roll back, upload.</summary>
internal static class RegistryEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        // Reads need the operator role; everything that changes the registry needs admin.
        var status = app.MapGroup("/v1/models").RequireAuthorization(Security.Roles.StatusPolicy);
        status.MapGet(string.Empty, (ModelHost models) => Results.Ok(models.Registry.List().Select(ToJson)));
        status.MapGet("/{name}", (string name, ModelHost models) =>
            models.Registry.Get(name) is { } s ? Results.Ok(ToJson(s)) : ApiError.Json(StatusCodes.Status404NotFound, $"model '{name}' not found"));
        app = app.MapGroup(string.Empty).RequireAuthorization(Security.Roles.AdminPolicy);
        app.MapPost("/v1/models/{name}/load", (string name, string? version, ModelHost models, CancellationToken ct) =>
            RunAsync(() => models.Registry.LoadAsync(name, version, ct)));
        app.MapPost("/v1/models/{name}/unload", (string name, string? version, ModelHost models, CancellationToken ct) =>
            RunAsync(() => models.Registry.UnloadAsync(name, version, ct)));
        app.MapPut("/v1/models/{name}/aliases/{alias}", async (string name, string alias, HttpContext http, ModelHost models, CancellationToken ct) =>
        {
            var (version, error) = await ReadVersionAsync(http);
            return version is null ? ApiError.Json(StatusCodes.Status400BadRequest, error!) : await RunAsync(() => models.Registry.SetAliasAsync(name, alias, version, ct));
        });
        app.MapPost("/v1/models/{name}/promote", async (string name, HttpContext http, ModelHost models, CancellationToken ct) =>
        {
            var (version, error) = await ReadVersionAsync(http);
            return version is null ? ApiError.Json(StatusCodes.Status400BadRequest, error!) : await RunAsync(() => models.Registry.PromoteAsync(name, version, ct));
        });
        app.MapPost("/v1/models/{name}/rollback", (string name, ModelHost models, CancellationToken ct) =>
            RunAsync(() => models.Registry.RollbackAsync(name, ct)));
        app.MapPost("/v1/models/{name}/versions", UploadAsync).DisableAntiforgery();
    }

    internal static object ToJson(ModelStatus s) => new
    {
        name = s.Name,
        serving = s.Serving,
        aliases = s.Aliases,
        versions = s.Versions.Select(v => new
        {
            version = v.Version,
            state = v.State.ToString().ToLowerInvariant(),
            reason = v.Reason,
            in_flight = v.InFlight,
            aliases = v.Aliases,
        }),
    };

    private static async Task<IResult> UploadAsync(string name, HttpContext http, ModelHost models, IOptions<ServerOptions> options, CancellationToken ct)
    {
        long max = options.Value.Registry.MaxUploadBytes;
        if (!http.Request.HasFormContentType)
        {
            return ApiError.Json(StatusCodes.Status415UnsupportedMediaType, "upload as multipart/form-data with a 'model' file part and an optional 'manifest' part");
        }

        var feature = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false })
        {
            feature.MaxRequestBodySize = max + (1024 * 1024);
        }

        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(new Microsoft.AspNetCore.Http.Features.FormOptions { MultipartBodyLengthLimit = max }, ct);
        }
        catch (Exception ex) when (ex is InvalidDataException or BadHttpRequestException)
        {
            return ApiError.Json(StatusCodes.Status413PayloadTooLarge, $"upload rejected: {ex.Message}");
        }

        var file = form.Files.GetFile("model");
        if (file is null || file.Length == 0)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, "the 'model' part (the ONNX file) is missing or empty");
        }

        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, ct);
        string? manifest = form.TryGetValue("manifest", out var m) ? m.ToString() : null;
        if (form.Files.GetFile("manifest") is { } manifestFile)
        {
            using var reader = new StreamReader(manifestFile.OpenReadStream());
            manifest = await reader.ReadToEndAsync(ct);
        }

        return await RunAsync(async () =>
        {
            string version = await models.Registry.UploadAsync(name, buffer.ToArray(), string.IsNullOrWhiteSpace(manifest) ? null : manifest, ct);
            return models.Registry.Get(name) is { } s && s.Versions.FirstOrDefault(v => v.Version == version) is { State: VersionState.Failed } failed
                ? throw new ModelLoadException($"version {version} was stored but failed to load: {failed.Reason}")
                : (object)new { name, version, status = ToJson(models.Registry.Get(name)!) };
        }, StatusCodes.Status201Created);
    }

    private static async Task<(string? Version, string? Error)> ReadVersionAsync(HttpContext http)
    {
        try
        {
            using var doc = await JsonDocument.ParseAsync(http.Request.Body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("version", out var v))
            {
                string? text = v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString(),
                    JsonValueKind.Number => v.GetRawText(),
                    _ => null,
                };
                if (ModelNames.TryParseVersion(text, out _))
                {
                    return (text, null);
                }
            }

            return (null, "body must be {\"version\": \"N\"} with a positive integer version");
        }
        catch (JsonException ex)
        {
            return (null, $"body is not valid JSON: {ex.Message}");
        }
    }

    private static Task<IResult> RunAsync(Func<Task<ModelStatus>> action) =>
        RunAsync(async () => (object)ToJson(await action()), StatusCodes.Status200OK);

    private static async Task<IResult> RunAsync(Func<Task<object>> action, int successStatus)
    {
        try
        {
            var result = await action();
            return Results.Json(result, statusCode: successStatus);
        }
        catch (KeyNotFoundException ex)
        {
            return ApiError.Json(StatusCodes.Status404NotFound, ex.Message);
        }
        catch (ArgumentException ex)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (InvalidDataException ex)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, ex.Message);
        }
        catch (ModelLoadException ex)
        {
            return ApiError.Json(StatusCodes.Status422UnprocessableEntity, ex.Message);
        }
        catch (InvalidOperationException ex)
        {
            return ApiError.Json(StatusCodes.Status409Conflict, ex.Message);
        }
    }
}
