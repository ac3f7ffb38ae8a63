using System.Security.Claims;

namespace InferenceServer.Security;

/// <summary>Who a request counts against for limits: its key id, or its remote address when anonymous.</summary>
internal static class KeyPartition
{
    public static string Of(HttpContext context) =>
        context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim)
        ?? "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    public static bool IsGrpc(HttpContext context) =>
        context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;

    /// <summary>Answers with RESOURCE_EXHAUSTED for gRPC callers (a trailers-only response) and 429 otherwise.</summary>
    public static async Task RejectAsync(HttpContext context, string message)
    {
        if (IsGrpc(context))
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "8";
            context.Response.Headers["grpc-message"] = message;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        await context.Response.WriteAsJsonAsync(new { error = message });
    }
}
