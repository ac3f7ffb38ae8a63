namespace InferenceServer.Hosting;

/// <summary>
/// Keeps each port to its job: the metrics port serves only <c>/metrics</c>, and <c>/metrics</c> is not served elsewhere.
/// (gRPC needs HTTP/2, which only the gRPC port speaks.)
/// </summary>
internal sealed class PortRoutingMiddleware
{
    private readonly RequestDelegate _next;
    private readonly ListenEndpoints _endpoints;

    public PortRoutingMiddleware(RequestDelegate next, ListenEndpoints endpoints)
    {
        _next = next;
        _endpoints = endpoints;
    }

    public Task InvokeAsync(HttpContext context)
    {
        bool onMetricsPort = context.Connection.LocalPort == _endpoints.MetricsPort;
        bool isMetricsPath = context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal);
        if (onMetricsPort != isMetricsPath)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return _next(context);
    }
}
