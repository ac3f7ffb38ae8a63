using System.Text.Json;
using System.Text.Json.Serialization;
using InferenceServer.Core.Feeds;
using InferenceServer.Hosting;
using InferenceServer.Services;

namespace InferenceServer.Endpoints;

/// <summary>Live feeds over REST: add, remove (admin); list, status (operator, admin). Results stream over gRPC WatchFeed.</summary>
internal static class FeedEndpoints
{
    // Strict: a misspelt field ("max_fsp") is an error, not a silently ignored setting.
    private static readonly JsonSerializerOptions SpecJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        var status = app.MapGroup("/v1/feeds").RequireAuthorization(Security.Roles.StatusPolicy);
        status.MapGet(string.Empty, (FeedHost feeds) => Results.Ok(feeds.Manager.List().Select(FeedMapping.ToJson)));
        status.MapGet("/{id}", (string id, FeedHost feeds) =>
            feeds.Manager.Get(id) is { } s ? Results.Ok(FeedMapping.ToJson(s)) : ApiError.Json(StatusCodes.Status404NotFound, $"feed '{id}' does not exist"));

        var admin = app.MapGroup("/v1/feeds").RequireAuthorization(Security.Roles.AdminPolicy);
        admin.MapPost(string.Empty, AddAsync);
        admin.MapDelete("/{id}", async (string id, FeedHost feeds) =>
            await feeds.Manager.RemoveAsync(id) ? Results.NoContent() : ApiError.Json(StatusCodes.Status404NotFound, $"feed '{id}' does not exist"));
    }

    private static async Task<IResult> AddAsync(HttpContext http, FeedHost feeds)
    {
        if (http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) != true)
        {
            return ApiError.Json(StatusCodes.Status415UnsupportedMediaType, "send the feed as application/json");
        }

        FeedSpec? spec;
        try
        {
            spec = await JsonSerializer.DeserializeAsync<FeedSpec>(http.Request.Body, SpecJson, http.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, $"invalid feed JSON: {ex.Message}");
        }

        if (spec is null)
        {
            return ApiError.Json(StatusCodes.Status400BadRequest, "the body must be a feed object");
        }

        try
        {
            var added = feeds.Manager.Add(spec, requireModel: true);
            return Results.Json(FeedMapping.ToJson(added), statusCode: StatusCodes.Status201Created);
        }
        catch (FeedRequestException ex)
        {
            return ApiError.Json(ex.Kind switch
            {
                FeedErrorKind.NotFound => StatusCodes.Status404NotFound,
                FeedErrorKind.AlreadyExists => StatusCodes.Status409Conflict,
                FeedErrorKind.Exhausted => StatusCodes.Status429TooManyRequests,
                _ => StatusCodes.Status400BadRequest,
            }, ex.Message);
        }
    }
}
