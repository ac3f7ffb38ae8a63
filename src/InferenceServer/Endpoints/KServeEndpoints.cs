using System.Text.Json;
using InferenceServer.Core.Inference;
using InferenceServer.Hosting;
using InferenceServer.Services;

namespace InferenceServer.Endpoints;

/// <summary>KServe v2 REST: model metadata, model readiness and JSON tensor inference.</summary>
internal static class KServeEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        const string Any = Security.Roles.AnyKeyPolicy;
        const string Infer = Security.Roles.InferPolicy;
        app.MapGet("/v2/models/{name}", (string name, ModelHost models) => Metadata(models, name, null)).RequireAuthorization(Any);
        app.MapGet("/v2/models/{name}/versions/{version}", (string name, string version, ModelHost models) => Metadata(models, name, version)).RequireAuthorization(Any);
        app.MapGet("/v2/models/{name}/ready", (string name, ModelHost models) => Ready(models, name, null)).RequireAuthorization(Any);
        app.MapGet("/v2/models/{name}/versions/{version}/ready", (string name, string version, ModelHost models) => Ready(models, name, version)).RequireAuthorization(Any);
        app.MapPost("/v2/models/{name}/infer", (string name, HttpContext http, ModelHost models, PipelineHost pipeline) => InferAsync(http, models, pipeline, name, null)).RequireAuthorization(Infer);
        app.MapPost("/v2/models/{name}/versions/{version}/infer", (string name, string version, HttpContext http, ModelHost models, PipelineHost pipeline) => InferAsync(http, models, pipeline, name, version)).RequireAuthorization(Infer);
    }

    private static IResult Metadata(ModelHost models, string name, string? version)
    {
        using var lease = models.Acquire(name, version);
        if (lease is null)
        {
            return NotFound(name, version);
        }

        var model = lease.Model;
        return Results.Ok(new
        {
            name = model.Name,
            versions = new[] { model.Version },
            platform = TensorInference.Platform,
            inputs = new[] { new { name = model.Signature.InputName, datatype = "FP32", shape = TensorInference.InputShape(model) } },
            outputs = new[] { new { name = model.Signature.OutputName, datatype = "FP32", shape = TensorInference.OutputShape(model) } },
            labels = model.Labels,
        });
    }

    private static IResult Ready(ModelHost models, string name, string? version)
    {
        using var lease = models.Acquire(name, version);
        return lease is null ? NotFound(name, version) : Results.Ok(new { name, ready = true });
    }

    private static async Task<IResult> InferAsync(HttpContext http, ModelHost models, PipelineHost pipeline, string name, string? version)
    {
        var lease = models.Acquire(name, version);
        if (lease is null)
        {
            return NotFound(name, version);
        }

        var model = lease.Model;
        bool handedOver = false;
        try
        {
            return await InferWithLeaseAsync(http, pipeline, lease, model, () => handedOver = true);
        }
        finally
        {
            if (!handedOver)
            {
                lease.Dispose();
            }
        }
    }

    private static async Task<IResult> InferWithLeaseAsync(HttpContext http, PipelineHost pipeline, Core.Registry.ModelLease lease, DetectionModel model, Action handOver)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Bad($"request body is not valid JSON: {ex.Message}");
        }

        using (doc)
        {
            var (request, error) = Parse(doc.RootElement, model);
            if (request is null)
            {
                return Bad(error!);
            }

            handOver(); // From here the frames own the lease.
            var (output, failure) = await TensorInference.RunAsync(pipeline.Pipeline, lease, request.Value.Data, request.Value.Batch, http.RequestAborted);
            if (output is null)
            {
                return ApiError.Json(StatusCodes.Status500InternalServerError, failure ?? "inference failed");
            }

            return Results.Json(new Dictionary<string, object?>
            {
                ["model_name"] = model.Name,
                ["model_version"] = model.Version,
                ["id"] = request.Value.Id,
                ["outputs"] = new[]
                {
                    new Dictionary<string, object>
                    {
                        ["name"] = model.Signature.OutputName,
                        ["datatype"] = "FP32",
                        ["shape"] = new long[] { request.Value.Batch, model.Signature.OutputRows, model.Signature.OutputColumns },
                        ["data"] = output,
                    },
                },
            });
        }
    }

    internal static ((string? Id, float[] Data, int Batch)? Request, string? Error) Parse(JsonElement root, DetectionModel model)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "request body must be a JSON object.");
        }

        string? id = root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString() : null;
        if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array || inputs.GetArrayLength() != 1)
        {
            return (null, "'inputs' must be an array with exactly one tensor.");
        }

        var input = inputs[0];
        if (input.ValueKind != JsonValueKind.Object)
        {
            return (null, "'inputs[0]' must be an object.");
        }

        if (!input.TryGetProperty("name", out var nameEl) || nameEl.ValueKind != JsonValueKind.String)
        {
            return (null, "'inputs[0].name' must be a string.");
        }

        if (!input.TryGetProperty("datatype", out var typeEl) || typeEl.ValueKind != JsonValueKind.String)
        {
            return (null, "'inputs[0].datatype' must be a string.");
        }

        if (!input.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
        {
            return (null, "'inputs[0].shape' must be an array of integers.");
        }

        var shape = new List<long>();
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v))
            {
                return (null, "'inputs[0].shape' must be an array of integers.");
            }

            shape.Add(v);
        }

        if (!input.TryGetProperty("data", out var dataEl) || dataEl.ValueKind != JsonValueKind.Array)
        {
            return (null, "'inputs[0].data' must be an array of numbers.");
        }

        // Check the declared shape before reading a possibly huge data array.
        long declared = shape.Aggregate(1L, (a, b) => b < 0 ? -1 : a * b);
        var (batch, error) = TensorInference.Validate(model, nameEl.GetString()!, typeEl.GetString()!, shape, declared);
        if (error is not null)
        {
            return (null, error);
        }

        var data = new float[declared];
        int count = 0;
        string? flattenError = Flatten(dataEl, data, ref count);
        if (flattenError is not null)
        {
            return (null, flattenError);
        }

        if (count != declared)
        {
            return (null, $"'inputs[0].data' holds {count} values; shape [{string.Join(",", shape)}] needs {declared}.");
        }

        if (root.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Array)
        {
            foreach (var o in outputs.EnumerateArray())
            {
                if (o.ValueKind != JsonValueKind.Object || !o.TryGetProperty("name", out var on) || on.GetString() != model.Signature.OutputName)
                {
                    return (null, $"unknown output requested: model '{model.Name}' has '{model.Signature.OutputName}'.");
                }
            }
        }

        return ((id, data, batch), null);
    }

    /// <summary>Accepts flat or nested (row-major) arrays, as KServe allows.</summary>
    private static string? Flatten(JsonElement element, float[] target, ref int count)
    {
        foreach (var item in element.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                if (Flatten(item, target, ref count) is string nested)
                {
                    return nested;
                }

                continue;
            }

            if (item.ValueKind != JsonValueKind.Number || !item.TryGetSingle(out float v))
            {
                return "'inputs[0].data' must contain only numbers.";
            }

            if (count >= target.Length)
            {
                return $"'inputs[0].data' holds more values than its shape allows ({target.Length}).";
            }

            target[count++] = v;
        }

        return null;
    }

    private static IResult NotFound(string name, string? version) =>
        ApiError.Json(StatusCodes.Status404NotFound, $"model '{name}' version '{version ?? "any"}' is not loaded");

    private static IResult Bad(string message) => ApiError.Json(StatusCodes.Status400BadRequest, message);
}
