using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;

namespace InferenceServer.Security;

/// <summary>
/// Append-only JSON-lines record of every operator and admin action: who (key id, never the key), what (method
/// and path, or gRPC method), when, and the result. One line per request, flushed as it is written.
/// </summary>
internal sealed class AuditLog : IDisposable
{
    private readonly FileStream? _file;
    private readonly object _lock = new();

    public AuditLog(string? path)
    {
        if (!string.IsNullOrEmpty(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        }
    }

    /// <summary>Whether an endpoint is an operator/admin action (its policy is status or admin).</summary>
    public static bool IsAudited(Endpoint? endpoint) =>
        endpoint?.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy is Roles.StatusPolicy or Roles.TrainPolicy or Roles.AdminPolicy) == true;

    public void Write(HttpContext context)
    {
        if (_file is null)
        {
            return;
        }

        var entry = new
        {
            time = DateTime.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            key_id = context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim),
            role = context.User.FindFirstValue(ClaimTypes.Role),
            action = $"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}",
            status = context.Response.StatusCode,
            grpc_status = context.Response.Headers["grpc-status"].ToString() is { Length: > 0 } s ? s : null,
            remote = context.Connection.RemoteIpAddress?.ToString(),
        };
        byte[] line = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(entry) + "\n");
        lock (_lock)
        {
            _file.Write(line);
            _file.Flush();
        }
    }

    public void Dispose() => _file?.Dispose();
}
