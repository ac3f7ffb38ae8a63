using InferenceServer.Hosting;

namespace InferenceServer.Endpoints;

/// <summary>KServe v2 liveness/readiness and server metadata.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v2/health/live", () => Results.Ok(new { live = true })).AllowAnonymous();
        app.MapGet("/v2/health/ready", (ModelHost models) => models.IsReady
            ? Results.Ok(new { ready = true })
            : Results.Json(new { ready = false, error = models.LoadError ?? "default model is loading" }, statusCode: StatusCodes.Status503ServiceUnavailable)).AllowAnonymous();
        app.MapGet("/v2", () => Results.Ok(new
        {
            name = "inferenceserver",
            version = typeof(HealthEndpoints).Assembly.GetName().Version?.ToString() ?? "0",
            extensions = Array.Empty<string>(),
        })).AllowAnonymous();
    }
}
