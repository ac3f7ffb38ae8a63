using System.Diagnostics;
using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Pipeline;
using InferenceServer.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// One pulled feed. A reader always reads (so no stale frames pile up in FFmpeg or the socket) and submits a
/// frame only when the feed has fewer than <see cref="MaxInFlight"/> frames in the pipeline and its max fps
/// allows; everything else is skipped. Results fan out to subscribers and the webhook. Failures, ends and stalls
/// reconnect with backoff; a feed never throws into its neighbours.
/// </summary>
internal sealed partial class Feed : IAsyncDisposable
{
    // One frame inferring while the next is decoded: enough to keep the model busy, few enough that a result
    // is never more than two frames behind the camera.
    internal const int MaxInFlight = 2;
    private const int HistoryLength = 32;

    private readonly FeedSpec _spec;
    private readonly FeedContext _context;
    private readonly StreamSession _session;
    private readonly ReconnectBackoff _backoff;
    private readonly FeedWebhook? _webhook;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _lock = new();
    private readonly Queue<FeedTransition> _history = new();
    private readonly Action _frameReleased;
    private FeedSubscription[] _subscribers = [];
    private Task _run = Task.CompletedTask;
    private Task _route = Task.CompletedTask;
    private FeedState _state = FeedState.Connecting;
    private string? _lastError;
    private long _read;
    private long _inferred;
    private long _skipped;
    private long _errors;
    private long _reconnects;
    private int _inFlight;
    private int _width;
    private int _height;
    private long _lastFrameTicks;
    private long _lastResultTicks;
    private double _sourceFps;
    private double _frameInterval;
    private double _lastLatencyMs;
    private long _lastReadTimestamp;
    private long _nextDue;
    private DetectionModel? _optionsFor;
    private PostprocessOptions _options = PostprocessOptions.Default;
    private bool _ended;
    private string? _decoder;
    private bool _gstreamerRefused;
    private int _disposed;

    public Feed(FeedSpec spec, StreamSession session, FeedContext context)
    {
        _spec = spec;
        _session = session;
        _context = context;
        _frameReleased = () => Interlocked.Decrement(ref _inFlight);
        _backoff = new ReconnectBackoff(TimeSpan.FromSeconds(spec.ReconnectMinSeconds), TimeSpan.FromSeconds(spec.ReconnectMaxSeconds));
        if (!string.IsNullOrEmpty(spec.WebhookUrl))
        {
            _webhook = new FeedWebhook(spec.Id, spec, context.Http, context.Logger);
        }

        Record(FeedState.Connecting, null);
    }

    public string Id => _spec.Id;

    public FeedSpec Spec => _spec;

    public FeedState State
    {
        get
        {
            lock (_lock)
            {
                return _state;
            }
        }
    }

    public void Start()
    {
        _route = Task.Run(RouteResultsAsync);
        _run = Task.Run(RunAsync);
    }

    public FeedSubscription Subscribe()
    {
        var subscription = new FeedSubscription(Id, Unsubscribe);
        lock (_lock)
        {
            if (_ended)
            {
                subscription.Close(); // Nothing more will come: the call ends at once.
                return subscription;
            }

            _subscribers = [.. _subscribers, subscription];
        }

        return subscription;
    }

    /// <summary>The next frame the feed reads, as JPEG (for labelling later); null when none comes within the timeout.</summary>
    public Task<byte[]?> CaptureAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _session.Capture.NextAsync(timeout, cancellationToken);

    public FeedStatus Status()
    {
        lock (_lock)
        {
            return new FeedStatus
            {
                Spec = _spec,
                State = _state,
                LastError = _lastError,
                FramesRead = Interlocked.Read(ref _read),
                FramesInferred = Interlocked.Read(ref _inferred),
                FramesSkipped = Interlocked.Read(ref _skipped),
                FrameErrors = Interlocked.Read(ref _errors),
                Reconnects = Interlocked.Read(ref _reconnects),
                Width = _width,
                Height = _height,
                LastFrameAt = Ticks(_lastFrameTicks),
                LastResultAt = Ticks(_lastResultTicks),
                SourceFps = Math.Round(_sourceFps, 2),
                LastLatencyMs = Math.Round(_lastLatencyMs, 1),
                Subscribers = _subscribers.Length,
                Decoder = Volatile.Read(ref _decoder),
                History = [.. _history],
            };
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        await _run.ConfigureAwait(false);
        _session.Dispose();
        if (_webhook is not null)
        {
            await _webhook.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var state in Enum.GetValues<FeedState>())
        {
            ServerMetrics.FeedState.RemoveLabelled(Id, Name(state));
        }

        foreach (var kind in new[] { "read", "inferred", "skipped", "error" })
        {
            ServerMetrics.FeedFrames.RemoveLabelled(Id, kind);
        }

        ServerMetrics.FeedReconnects.RemoveLabelled(Id);
        ServerMetrics.FeedLatency.RemoveLabelled(Id);
        _stop.Dispose();
    }

    internal static string Name(FeedState state) => state.ToString().ToLowerInvariant();

    private static DateTimeOffset? Ticks(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private async Task RunAsync()
    {
        try
        {
            await ReadLoopAsync().ConfigureAwait(false);
        }
        finally
        {
            // Stopped, failed or removed: frames in flight finish, then subscribers see the end of the feed.
            _session.CompleteInput();
            await _route.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            FeedSubscription[] subscribers;
            lock (_lock)
            {
                _ended = true;
                subscribers = _subscribers;
                _subscribers = [];
            }

            foreach (var s in subscribers)
            {
                s.Close();
            }
        }
    }

    private async Task ReadLoopAsync()
    {
        var ct = _stop.Token;
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            bool streamed = false;
            try
            {
                using var source = Open();
                while (true)
                {
                    VideoFrame? frame;
                    using (var stall = CancellationTokenSource.CreateLinkedTokenSource(ct))
                    {
                        double timeout = streamed ? _spec.StallTimeoutSeconds : Math.Max(_spec.StallTimeoutSeconds, _spec.ConnectTimeoutSeconds);
                        stall.CancelAfter(TimeSpan.FromSeconds(timeout));
                        using var abort = stall.Token.Register(source.Abort);
                        try
                        {
                            frame = await source.ReadAsync(stall.Token).ConfigureAwait(false);
                        }
                        catch (Exception) when (stall.IsCancellationRequested && !ct.IsCancellationRequested)
                        {
                            throw new TimeoutException(streamed ? $"no frame for {timeout:0.#} s" : $"no first frame within {timeout:0.#} s");
                        }
                    }

                    if (frame is null)
                    {
                        Record(FeedState.Stopped, "end of file");
                        return;
                    }

                    if (!streamed)
                    {
                        streamed = true;
                        failures = 0;
                        Record(FeedState.Streaming, null);
                    }

                    await OnFrameAsync(frame, ct).ConfigureAwait(false);
                }
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (TimeoutException ex)
            {
                SetError(ex.Message);
                Record(FeedState.Stalled, ex.Message);
            }
            catch (FeedSourceException ex) when (ex.UnsupportedCodec)
            {
                if (_spec.Decoder == "auto")
                {
                    // Not H.264/H.265 (an MJPEG camera, say): FFmpeg decodes it from the next attempt on.
                    Volatile.Write(ref _gstreamerRefused, true);
                    SetError("the camera's codec is not H.264/H.265: decoding with ffmpeg instead of gstreamer");
                }
                else
                {
                    SetError($"{ex.Message} — decoder gstreamer reads H.264/H.265 cameras; use decoder ffmpeg or auto for this one");
                }
            }
            catch (FeedSourceException ex)
            {
                SetError(ex.Message);
            }
            catch (Exception ex)
            {
                SetError($"unexpected: {ex.Message}");
                LogUnexpected(_context.Logger, Id, ex);
            }

            failures++;
            Interlocked.Increment(ref _reconnects);
            ServerMetrics.FeedReconnects.WithLabels(Id).Inc();
            if (_spec.MaxReconnectAttempts > 0 && failures > _spec.MaxReconnectAttempts)
            {
                Record(FeedState.Failed, $"gave up after {failures} failed attempts: {LastError()}");
                LogFailed(_context.Logger, Id, failures, LastError());
                return;
            }

            var delay = _backoff.Delay(failures);
            Record(FeedState.Reconnecting, $"{LastError()}; retry {failures} in {delay.TotalSeconds:0.##} s");
            LogReconnecting(_context.Logger, Id, delay.TotalSeconds, LastError());
            try
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Record(FeedState.Stopped, "removed");
    }

    private IFrameSource Open()
    {
        var decoder = ResolveDecoder();
        Volatile.Write(ref _decoder, decoder.ToString().ToLowerInvariant());
        return decoder switch
        {
            FeedDecoder.OpenCv => FileFrameSource.Open(_spec.FilePath!, _spec.Loop, _context.MaxPixels),
            FeedDecoder.Gstreamer => ProcessFrameSource.Start(_spec, decoder, _context.GstLaunchPath, _context.MaxPixels),
            _ => ProcessFrameSource.Start(_spec, decoder, _context.FfmpegPath, _context.MaxPixels),
        };
    }

    private FeedDecoder ResolveDecoder() =>
        _spec.IsFile ? FeedDecoder.OpenCv
        : _spec.Decoder == "gstreamer" ? FeedDecoder.Gstreamer
        : _spec.Decoder == "ffmpeg" || !_spec.IsRtsp || !string.IsNullOrEmpty(_spec.HwAccel) ? FeedDecoder.Ffmpeg
        : !Volatile.Read(ref _gstreamerRefused) && GstreamerAvailability.Missing(_context.GstLaunchPath) is null ? FeedDecoder.Gstreamer
        : FeedDecoder.Ffmpeg;

    private async ValueTask OnFrameAsync(VideoFrame frame, CancellationToken ct)
    {
        long now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _read);
        ServerMetrics.FeedFrames.WithLabels(Id, "read").Inc();
        lock (_lock)
        {
            _width = frame.Width;
            _height = frame.Height;
            _lastFrameTicks = DateTime.UtcNow.Ticks;
            if (_lastReadTimestamp != 0)
            {
                // Smooth the interval, not its inverse: bursts of frames must not inflate the rate.
                double interval = Stopwatch.GetElapsedTime(_lastReadTimestamp, now).TotalSeconds;
                _frameInterval = _frameInterval == 0 ? interval : (0.9 * _frameInterval) + (0.1 * interval);
                _sourceFps = 1.0 / Math.Max(1e-6, _frameInterval);
            }

            _lastReadTimestamp = now;
        }

        if (_session.Capture.IsPending)
        {
            // Also from frames that will be skipped: a capture needs the camera's view, not a free model.
            _session.Capture.Offer(new RawFrame(frame.Data, frame.Format, frame.Width, frame.Height, 0));
        }

        if (!Due(now) || Volatile.Read(ref _inFlight) >= MaxInFlight)
        {
            Skip(frame);
            return;
        }

        var lease = _context.Registry.Acquire(_spec.Model, _spec.Version);
        if (lease is null)
        {
            SetError($"model '{_spec.Model ?? "(default)"}' version '{_spec.Version ?? "serving"}' is not loaded");
            Skip(frame);
            return;
        }

        if (!ReferenceEquals(lease.Model, _optionsFor))
        {
            // A hot swap (or the first frame): thresholds and class names are resolved against the new version.
            var (options, error) = OptionsFor(lease.Model);
            if (options is null)
            {
                lease.Dispose();
                SetError(error!);
                Skip(frame);
                return;
            }

            _options = options;
            _optionsFor = lease.Model;
        }

        var request = FrameRequest.ForRaw(lease.Model, _options, new RawFrame(frame.Data, frame.Format, frame.Width, frame.Height, 0), _session);
        Interlocked.Increment(ref _inFlight);
        request.Lease = new FeedFrameLease(lease, frame, _frameReleased);
        request.Sequence = (ulong)Interlocked.Read(ref _read);
        request.CaptureTimeUnixNanos = frame.CaptureUnixNanos;
        await _session.EnqueueAsync(request, ct).ConfigureAwait(false);
    }

    /// <summary>Max fps as a schedule (not "time since the last one"), so the average rate is the configured one.</summary>
    private bool Due(long now)
    {
        if (_spec.MaxFps <= 0)
        {
            return true;
        }

        long period = (long)(Stopwatch.Frequency / _spec.MaxFps);
        if (now < _nextDue)
        {
            return false;
        }

        _nextDue = Math.Max(_nextDue + period, now - period);
        return true;
    }

    private (PostprocessOptions? Options, string? Error) OptionsFor(DetectionModel model)
    {
        var options = new PostprocessOverrides(_spec.ConfidenceThreshold, _spec.IouThreshold, Classes: _spec.Classes).ApplyTo(model, out string? unknown);
        if (options is null)
        {
            return (null, $"classes: '{unknown}' is neither a label nor a class id of model '{model.Name}'");
        }

        return options.Validate() is string error ? (null, error) : (options, null);
    }

    private void Skip(VideoFrame frame)
    {
        frame.Dispose();
        Interlocked.Increment(ref _skipped);
        ServerMetrics.FeedFrames.WithLabels(Id, "skipped").Inc();
    }

    private async Task RouteResultsAsync()
    {
        await foreach (var outcome in _session.Results.ReadAllAsync().ConfigureAwait(false))
        {
            double latencyMs = (UnixClock.Nanos() - outcome.Request.CaptureTimeUnixNanos) / 1e6;
            if (outcome.Result is not null)
            {
                Interlocked.Increment(ref _inferred);
                ServerMetrics.FeedFrames.WithLabels(Id, "inferred").Inc();
                ServerMetrics.FeedLatency.WithLabels(Id).Observe(latencyMs / 1000);
                lock (_lock)
                {
                    _lastResultTicks = DateTime.UtcNow.Ticks;
                    _lastLatencyMs = latencyMs;
                }
            }
            else
            {
                Interlocked.Increment(ref _errors);
                ServerMetrics.FeedFrames.WithLabels(Id, "error").Inc();
                SetError($"frame failed: {outcome.ErrorMessage}");
            }

            foreach (var subscriber in Volatile.Read(ref _subscribers))
            {
                subscriber.Offer(outcome);
            }

            _webhook?.Offer(outcome);
            _session.ResultSent();
        }
    }

    private void Unsubscribe(FeedSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers = _subscribers.Where(s => !ReferenceEquals(s, subscription)).ToArray();
        }
    }

    private void SetError(string error)
    {
        lock (_lock)
        {
            _lastError = error;
        }
    }

    private string LastError()
    {
        lock (_lock)
        {
            return _lastError ?? "";
        }
    }

    private void Record(FeedState state, string? reason)
    {
        FeedState previous;
        lock (_lock)
        {
            previous = _state;
            _state = state;
            _history.Enqueue(new FeedTransition(DateTimeOffset.UtcNow, state, reason));
            while (_history.Count > HistoryLength)
            {
                _history.Dequeue();
            }
        }

        ServerMetrics.FeedState.WithLabels(Id, Name(previous)).Set(0);
        ServerMetrics.FeedState.WithLabels(Id, Name(state)).Set(1);
        if (previous != state)
        {
            LogState(_context.Logger, Id, Name(state), reason ?? "");
        }
    }

    [LoggerMessage(61, LogLevel.Information, "Feed {Feed} is {State} {Reason}")]
    private static partial void LogState(ILogger logger, string feed, string state, string reason);

    [LoggerMessage(62, LogLevel.Warning, "Feed {Feed}: reconnecting in {Seconds:0.##} s ({Error})")]
    private static partial void LogReconnecting(ILogger logger, string feed, double seconds, string error);

    [LoggerMessage(63, LogLevel.Error, "Feed {Feed} failed after {Attempts} attempts: {Error}")]
    private static partial void LogFailed(ILogger logger, string feed, int attempts, string error);

    [LoggerMessage(64, LogLevel.Error, "Feed {Feed}: unexpected error in the reader")]
    private static partial void LogUnexpected(ILogger logger, string feed, Exception ex);
}
