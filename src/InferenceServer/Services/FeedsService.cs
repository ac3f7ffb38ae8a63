using Grpc.Core;
using InferenceServer.Configuration;
using InferenceServer.Core.Feeds;
using InferenceServer.Hosting;
using InferenceServer.Protos.Detection.V1;
using InferenceServer.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace InferenceServer.Services;

/// <summary>detection.v1.Feeds: live feeds pulled by the server, managed at runtime; results streamed to subscribers.</summary>
[Authorize(Policy = Roles.AnyKeyPolicy)]
internal sealed class FeedsService : Protos.Detection.V1.Feeds.FeedsBase
{
    private readonly FeedManager _feeds;
    private readonly bool _authEnabled;

    public FeedsService(FeedHost feeds, IOptions<ServerOptions> options)
    {
        _feeds = feeds.Manager;
        _authEnabled = options.Value.Auth.Enabled;
    }

    [Authorize(Policy = Roles.AdminPolicy)]
    public override Task<Protos.Detection.V1.FeedStatus> AddFeed(AddFeedRequest request, ServerCallContext context)
    {
        if (request.Spec is null)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "spec is required."));
        }

        return Task.FromResult(FeedMapping.ToProto(Run(() => _feeds.Add(FeedMapping.FromProto(request.Spec), requireModel: true))));
    }

    [Authorize(Policy = Roles.AdminPolicy)]
    public override async Task<RemoveFeedResponse> RemoveFeed(RemoveFeedRequest request, ServerCallContext context) =>
        await _feeds.RemoveAsync(request.Id) ? new RemoveFeedResponse() : throw NotFound(request.Id);

    [Authorize(Policy = Roles.StatusPolicy)]
    public override Task<ListFeedsResponse> ListFeeds(ListFeedsRequest request, ServerCallContext context)
    {
        var response = new ListFeedsResponse();
        response.Feeds.AddRange(_feeds.List().Select(FeedMapping.ToProto));
        return Task.FromResult(response);
    }

    [Authorize(Policy = Roles.StatusPolicy)]
    public override Task<Protos.Detection.V1.FeedStatus> GetFeed(GetFeedRequest request, ServerCallContext context) =>
        Task.FromResult(_feeds.Get(request.Id) is { } s ? FeedMapping.ToProto(s) : throw NotFound(request.Id));

    public override async Task WatchFeed(WatchFeedRequest request, IServerStreamWriter<FrameResult> responseStream, ServerCallContext context)
    {
        if (!FeedAccess.CanWatch(context.GetHttpContext().User, request.Id, _authEnabled))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"this key may not watch feed '{request.Id}'."));
        }

        using var subscription = _feeds.Subscribe(request.Id) ?? throw NotFound(request.Id);
        await foreach (var outcome in subscription.Results.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(ProtoMapping.ToFrameResult(outcome, request.Id), context.CancellationToken);
        }
    }

    private static T Run<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (FeedRequestException ex)
        {
            throw new RpcException(new Status(ex.Kind switch
            {
                FeedErrorKind.NotFound => StatusCode.NotFound,
                FeedErrorKind.AlreadyExists => StatusCode.AlreadyExists,
                FeedErrorKind.Exhausted => StatusCode.ResourceExhausted,
                _ => StatusCode.InvalidArgument,
            }, ex.Message));
        }
    }

    private static RpcException NotFound(string id) => new(new Status(StatusCode.NotFound, $"feed '{id}' does not exist."));
}
