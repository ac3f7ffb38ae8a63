using InferenceServer.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// The feeds running in this server: add, remove, list, watch at runtime. Each feed is independent (its own
/// reader, its own FFmpeg process, its own stream in the pipeline): one broken camera never affects another.
/// </summary>
internal sealed partial class FeedManager : IAsyncDisposable
{
    private readonly FeedContext _context;
    private readonly int _maxFeeds;
    private readonly Dictionary<string, Feed> _feeds = new(StringComparer.Ordinal);
    private readonly object _lock = new();
    private bool _disposed;

    public FeedManager(FeedContext context, int maxFeeds)
    {
        _context = context;
        _maxFeeds = maxFeeds;
    }

    /// <summary>Validates and starts a feed. Throws <see cref="FeedRequestException"/> when it cannot.</summary>
    /// <param name="requireModel">API adds check that the model is loaded now; configured feeds may start before it is.</param>
    public FeedStatus Add(FeedSpec spec, bool requireModel)
    {
        spec = spec.Clone();
        if (spec.Validate() is string error)
        {
            throw new FeedRequestException(FeedErrorKind.Invalid, error);
        }

        if (requireModel)
        {
            using var lease = _context.Registry.Acquire(spec.Model, spec.Version)
                ?? throw new FeedRequestException(FeedErrorKind.Invalid, $"model '{spec.Model ?? "(default)"}' version '{(string.IsNullOrEmpty(spec.Version) ? "serving" : spec.Version)}' is not loaded.");
            if (spec.Classes.Count > 0 && lease.Model.ResolveClasses(spec.Classes, out string? unknown) is null)
            {
                throw new FeedRequestException(FeedErrorKind.Invalid, $"classes: '{unknown}' is neither a label nor a class id of model '{lease.Model.Name}'.");
            }
        }

        Feed feed;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_feeds.ContainsKey(spec.Id))
            {
                throw new FeedRequestException(FeedErrorKind.AlreadyExists, $"feed '{spec.Id}' already exists.");
            }

            if (_feeds.Count >= _maxFeeds)
            {
                throw new FeedRequestException(FeedErrorKind.Exhausted, $"the server already runs {_maxFeeds} feeds (InferenceServer:Feeds:MaxFeeds).");
            }

            // Latest mode: a feed only ever wants the newest frame inferred.
            var session = _context.Pipeline.OpenStream("feed:" + spec.Id, BackpressureMode.Latest)
                ?? throw new FeedRequestException(FeedErrorKind.Exhausted, "too many concurrent streams (InferenceServer:Pipeline:MaxStreams).");
            feed = new Feed(spec, session, _context);
            _feeds.Add(spec.Id, feed);
        }

        feed.Start();
        LogAdded(_context.Logger, spec.Id, spec.RedactedUrl());
        return feed.Status();
    }

    /// <summary>Stops a feed (its frames in flight finish, its subscribers see the end). False when unknown.</summary>
    public async Task<bool> RemoveAsync(string id)
    {
        Feed? feed;
        lock (_lock)
        {
            if (!_feeds.Remove(id, out feed))
            {
                return false;
            }
        }

        await feed.DisposeAsync().ConfigureAwait(false);
        LogRemoved(_context.Logger, id);
        return true;
    }

    public IReadOnlyList<FeedStatus> List()
    {
        Feed[] feeds;
        lock (_lock)
        {
            feeds = [.. _feeds.Values];
        }

        return feeds.OrderBy(f => f.Id, StringComparer.Ordinal).Select(f => f.Status()).ToArray();
    }

    public FeedStatus? Get(string id) => Find(id)?.Status();

    /// <summary>Results of a feed as they come; null when the feed does not exist.</summary>
    public FeedSubscription? Subscribe(string id) => Find(id)?.Subscribe();

    /// <summary>The feed's next frame as JPEG; throws NotFound for unknown feeds, null when no frame came in time.</summary>
    public Task<byte[]?> CaptureAsync(string id, TimeSpan timeout, CancellationToken cancellationToken) =>
        (Find(id) ?? throw new FeedRequestException(FeedErrorKind.NotFound, $"feed '{id}' does not exist.")).CaptureAsync(timeout, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        Feed[] feeds;
        lock (_lock)
        {
            _disposed = true;
            feeds = [.. _feeds.Values];
            _feeds.Clear();
        }

        await Task.WhenAll(feeds.Select(f => f.DisposeAsync().AsTask())).ConfigureAwait(false);
    }

    private Feed? Find(string id)
    {
        lock (_lock)
        {
            return _feeds.GetValueOrDefault(id);
        }
    }

    [LoggerMessage(65, LogLevel.Information, "Feed {Feed} added ({Url})")]
    private static partial void LogAdded(ILogger logger, string feed, string url);

    [LoggerMessage(66, LogLevel.Information, "Feed {Feed} removed")]
    private static partial void LogRemoved(ILogger logger, string feed);
}
