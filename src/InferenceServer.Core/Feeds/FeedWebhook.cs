using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Channels;
using InferenceServer.Core.Pipeline;
using Microsoft.Extensions.Logging;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// Posts a feed's results to an HTTP endpoint in batches (JSON), retrying failed POSTs with backoff. Its queue is
/// bounded and drops the oldest results when the receiver is down, so a dead webhook never holds the feed back.
/// </summary>
internal sealed partial class FeedWebhook : IAsyncDisposable
{
    // Enough for a receiver outage of a minute at 15 results/s; older results are dropped (counted).
    private const int QueueCapacity = 1024;
    private const int Attempts = 4;

    private readonly string _feedId;
    private readonly Uri _url;
    private readonly int _batchSize;
    private readonly TimeSpan _interval;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly Channel<FrameOutcome> _queue;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stop = new();
    private long _dropped;
    private long _sent;
    private long _failed;

    public FeedWebhook(string feedId, FeedSpec spec, HttpClient http, ILogger logger)
    {
        _feedId = feedId;
        _url = new Uri(spec.WebhookUrl!);
        _batchSize = spec.WebhookBatchSize;
        _interval = TimeSpan.FromMilliseconds(spec.WebhookIntervalMs);
        _http = http;
        _logger = logger;
        _queue = Channel.CreateBounded<FrameOutcome>(
            new BoundedChannelOptions(QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true },
            _ => Interlocked.Increment(ref _dropped));
        _loop = Task.Run(RunAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    public long SentBatches => Interlocked.Read(ref _sent);

    public long FailedBatches => Interlocked.Read(ref _failed);

    public void Offer(FrameOutcome outcome)
    {
        if (outcome.Result is not null)
        {
            _queue.Writer.TryWrite(outcome);
        }
    }

    /// <summary>Sends what is queued (one last try each), then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        _stop.CancelAfter(TimeSpan.FromSeconds(5));
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }

    internal static byte[] Serialize(string feedId, IReadOnlyList<FrameOutcome> batch)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("feed", feedId);
            json.WriteStartArray("results");
            foreach (var outcome in batch)
            {
                var r = outcome.Result!;
                json.WriteStartObject();
                json.WriteNumber("sequence", outcome.Request.Sequence);
                json.WriteNumber("capture_time_unix_nanos", outcome.Request.CaptureTimeUnixNanos);
                json.WriteString("model", r.Model);
                json.WriteString("version", r.Version);
                json.WriteNumber("width", r.ImageWidth);
                json.WriteNumber("height", r.ImageHeight);
                json.WriteStartArray("detections");
                foreach (var d in r.Detections)
                {
                    json.WriteStartObject();
                    json.WriteString("label", d.Label);
                    json.WriteNumber("class_id", d.ClassId);
                    json.WriteNumber("score", Math.Round(d.Score, 4));
                    json.WriteStartArray("box");
                    json.WriteNumberValue(Math.Round(d.X1, 1));
                    json.WriteNumberValue(Math.Round(d.Y1, 1));
                    json.WriteNumberValue(Math.Round(d.X2, 1));
                    json.WriteNumberValue(Math.Round(d.Y2, 1));
                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private async Task RunAsync()
    {
        var batch = new List<FrameOutcome>(_batchSize);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Collect up to a batch, or whatever arrived within the interval.
            using (var window = new CancellationTokenSource(_interval))
            {
                try
                {
                    while (batch.Count < _batchSize)
                    {
                        if (!reader.TryRead(out var outcome))
                        {
                            if (!await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
                            {
                                break;
                            }

                            continue;
                        }

                        batch.Add(outcome);
                    }
                }
                catch (OperationCanceledException)
                {
                    // The interval passed: send what we have.
                }
            }

            if (batch.Count > 0)
            {
                await PostAsync(Serialize(_feedId, batch)).ConfigureAwait(false);
                batch.Clear();
            }
        }
    }

    private async Task PostAsync(byte[] body)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        string error = "";
        for (int attempt = 1; attempt <= Attempts; attempt++)
        {
            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await _http.PostAsync(_url, content, _stop.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _sent);
                    return;
                }

                error = $"HTTP {(int)response.StatusCode}";
                if ((int)response.StatusCode is >= 400 and < 500 and not 408 and not 429)
                {
                    break; // The receiver refuses this batch; retrying would not change its mind.
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                error = "stopped";
                break;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                error = ex.Message;
            }

            if (attempt < Attempts)
            {
                try
                {
                    await Task.Delay(delay, _stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay *= 2;
            }
        }

        Interlocked.Increment(ref _failed);
        LogWebhookFailed(_logger, _feedId, _url.GetLeftPart(UriPartial.Path), error);
    }

    [LoggerMessage(60, LogLevel.Warning, "Feed {Feed}: webhook {Url} failed after retries ({Error}); batch dropped")]
    private static partial void LogWebhookFailed(ILogger logger, string feed, string url, string error);
}
