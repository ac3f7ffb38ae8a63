namespace InferenceServer.Endpoints;

/// <summary>The REST error shape every endpoint answers with: <c>{"error": "..."}</c> and the status.</summary>
internal static class ApiError
{
    public static IResult Json(int status, string message) => Results.Json(new { error = message }, statusCode: status);
}
