using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.Protos.Detection.V1;

namespace InferenceServer.Cli.Commands;

/// <summary>
/// A perf_analyzer-style load generator: for each concurrency level, N cameras stream JPEG frames through
/// StreamDetect (or N callers send unary Detect requests with <c>--unary</c>); after a warm-up, measurement
/// windows repeat until three consecutive windows agree within <c>--stability</c>; reports throughput, latency
/// percentiles, the server's per-stage breakdown and drops, as a table, CSV and JSON.
/// </summary>
internal static class BenchCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var r = new ArgReader(args, "--unary");
        string server = r.String("--server") ?? Environment.GetEnvironmentVariable("INFERENCESERVER_GRPC") ?? "http://127.0.0.1:8001";
        var levels = (r.String("--streams") ?? "1,4,8").Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        string size = r.String("--image-size") ?? "1280x720";
        double fps = r.Double("--fps", 0);
        double warmup = r.Double("--warmup", 3);
        double window = r.Double("--window", 4);
        double stability = r.Double("--stability", 0.1);
        int maxWindows = r.Int("--max-windows", 6);
        string mode = r.String("--mode") ?? "block";
        string? model = r.String("--model");
        string? csv = r.String("--csv");
        string? json = r.String("--json");
        string? label = r.String("--label");
        int inflight = r.Int("--max-inflight", 1);
        bool unary = r.Flag("--unary");
        r.RejectUnknown();
        var dims = size.Split('x');
        if (dims.Length != 2 || !int.TryParse(dims[0], out int width) || !int.TryParse(dims[1], out int height))
        {
            throw new UsageException("--image-size must be WIDTHxHEIGHT");
        }

        // Distinct camera-like frames (JPEG q90) so decode cost is realistic.
        var generator = new SceneGenerator(new SceneOptions { Width = width, Height = height, MinJpegQuality = 90, MaxJpegQuality = 90 }, 77);
        var frames = Enumerable.Range(0, 16).Select(i => ByteString.CopyFrom(generator.GenerateJpeg(i).Jpeg)).ToArray();
        using var channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions { MaxSendMessageSize = 64 << 20, MaxReceiveMessageSize = 64 << 20 });
        var client = new Detector.DetectorClient(channel);

        var rows = new List<BenchRow>();
        Console.Error.WriteLine($"{label ?? server}: {(unary ? "unary Detect" : $"StreamDetect ({mode})")}, {width}x{height} JPEG, {(fps > 0 ? $"{fps} fps per stream" : "full speed")}");
        foreach (int n in levels)
        {
            var row = await MeasureAsync(client, n, frames, fps, mode, model, unary, inflight, warmup, window, stability, maxWindows);
            rows.Add(row);
            Console.Error.WriteLine($"  {n,3} stream(s): {row.Throughput,7:F1} fps  p50 {row.P50,7:F1}  p90 {row.P90,7:F1}  p95 {row.P95,7:F1}  p99 {row.P99,7:F1} ms  dropped {row.Dropped}  stable={row.Stable}");
        }

        Console.WriteLine(JsonSerializer.Serialize(new { label, server, unary, mode, image = size, rows }, new JsonSerializerOptions { WriteIndented = true }));
        if (json is not null)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(new { label, server, unary, mode, image = size, rows }));
        }

        if (csv is not null)
        {
            var sb = new StringBuilder("label,streams,throughput_fps,p50_ms,p90_ms,p95_ms,p99_ms,queue_ms,decode_ms,preprocess_ms,inference_ms,postprocess_ms,server_total_ms,dropped,stable\n");
            foreach (var x in rows)
            {
                sb.Append(CultureInfo.InvariantCulture, $"{label},{x.Streams},{x.Throughput:F1},{x.P50:F2},{x.P90:F2},{x.P95:F2},{x.P99:F2},{x.QueueMs:F2},{x.DecodeMs:F2},{x.PreprocessMs:F2},{x.InferenceMs:F2},{x.PostprocessMs:F2},{x.ServerTotalMs:F2},{x.Dropped},{x.Stable}\n");
            }

            await File.WriteAllTextAsync(csv, sb.ToString());
        }

        return 0;
    }

    private static async Task<BenchRow> MeasureAsync(
        Detector.DetectorClient client, int streams, ByteString[] frames, double fps, string mode, string? model, bool unary, int inflight,
        double warmupSeconds, double windowSeconds, double stability, int maxWindows)
    {
        var recorder = new Recorder();
        using var stop = new CancellationTokenSource();
        var workers = Enumerable.Range(0, streams)
            .Select(s => unary ? UnaryLoopAsync(client, frames, fps, model, recorder, stop.Token) : StreamLoopAsync(client, $"bench-{s}", frames, fps, mode, model, inflight, recorder, stop.Token))
            .ToArray();

        await Task.Delay(TimeSpan.FromSeconds(warmupSeconds));
        var windows = new List<Window>();
        bool stable = false;
        while (windows.Count < maxWindows)
        {
            recorder.Reset();
            var sw = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(windowSeconds));
            windows.Add(recorder.Take(sw.Elapsed.TotalSeconds));
            if (windows.Count >= 3)
            {
                var last = windows.TakeLast(3).Select(w => w.Throughput).ToArray();
                double mean = last.Average();
                if (mean > 0 && last.All(t => Math.Abs(t - mean) / mean <= stability))
                {
                    stable = true;
                    break;
                }
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        var measured = windows.TakeLast(Math.Min(3, windows.Count)).ToArray();
        var latencies = measured.SelectMany(w => w.Latencies).Order().ToArray();
        double P(double p) => latencies.Length == 0 ? 0 : latencies[Math.Clamp((int)Math.Ceiling(p / 100 * latencies.Length) - 1, 0, latencies.Length - 1)];
        double Mean(Func<Window, double> f) => measured.Average(f);
        return new BenchRow(
            streams, Math.Round(measured.Average(w => w.Throughput), 1), R(P(50)), R(P(90)), R(P(95)), R(P(99)),
            R(Mean(w => w.QueueMs)), R(Mean(w => w.DecodeMs)), R(Mean(w => w.PreprocessMs)), R(Mean(w => w.InferenceMs)),
            R(Mean(w => w.PostprocessMs)), R(Mean(w => w.ServerTotalMs)), recorder.Dropped, stable, windows.Count);
    }

    private static double R(double v) => double.IsNaN(v) ? 0 : Math.Round(v, 2);

    /// <summary>
    /// One camera. Like perf_analyzer's concurrency mode, at most <paramref name="inflight"/> frames are outstanding
    /// (0: unbounded, i.e. a camera pushing as fast as it can), so latency measures the server, not client-side queueing.
    /// </summary>
    private static async Task StreamLoopAsync(
        Detector.DetectorClient client, string id, ByteString[] frames, double fps, string mode, string? model, int inflight, Recorder recorder, CancellationToken stop)
    {
        using var call = client.StreamDetect();
        using var slots = new SemaphoreSlim(inflight > 0 ? inflight : int.MaxValue / 2);
        var sentAt = new System.Collections.Concurrent.ConcurrentDictionary<ulong, long>();
        var reader = Task.Run(async () =>
        {
            try
            {
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                {
                    var result = call.ResponseStream.Current;
                    long now = Stopwatch.GetTimestamp();
                    int done = 0;
                    if (sentAt.TryRemove(result.Sequence, out long sent))
                    {
                        recorder.Add(result, Stopwatch.GetElapsedTime(sent, now).TotalMilliseconds);
                        done++;
                    }

                    // Frames dropped before this one (latest mode) never get a result: forget them.
                    foreach (var key in sentAt.Keys.Where(k => k < result.Sequence))
                    {
                        if (sentAt.TryRemove(key, out _))
                        {
                            done++;
                        }
                    }

                    slots.Release(done);
                }
            }
            catch (RpcException)
            {
                // The call ended with the benchmark.
            }
        });

        ulong sequence = 0;
        long start = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            if (fps > 0)
            {
                var due = TimeSpan.FromSeconds(sequence / fps) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(due, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }

            var frame = new Frame
            {
                StreamId = id,
                Sequence = sequence,
                Image = new Image { Encoded = frames[sequence % (ulong)frames.Length] },
                Backpressure = mode == "latest" ? Backpressure.Latest : Backpressure.Block,
            };
            if (sequence == 0 && model is not null)
            {
                frame.Options = new DetectOptions { Model = model };
            }

            try
            {
                await slots.WaitAsync(stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            sentAt[sequence] = Stopwatch.GetTimestamp();
            await call.RequestStream.WriteAsync(frame);
            sequence++;
        }

        await call.RequestStream.CompleteAsync();
        await reader;
    }

    private static async Task UnaryLoopAsync(Detector.DetectorClient client, ByteString[] frames, double fps, string? model, Recorder recorder, CancellationToken stop)
    {
        int i = 0;
        long start = Stopwatch.GetTimestamp();
        while (!stop.IsCancellationRequested)
        {
            if (fps > 0)
            {
                var due = TimeSpan.FromSeconds(i / fps) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(due, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }

            long sent = Stopwatch.GetTimestamp();
            var reply = await client.DetectAsync(new DetectRequest
            {
                Image = new Image { Encoded = frames[i++ % frames.Length] },
                Options = model is null ? null : new DetectOptions { Model = model },
            });
            recorder.Add(reply.Timings, Stopwatch.GetElapsedTime(sent).TotalMilliseconds, 0);
        }
    }

    private sealed record BenchRow(
        int Streams, double Throughput, double P50, double P90, double P95, double P99, double QueueMs, double DecodeMs,
        double PreprocessMs, double InferenceMs, double PostprocessMs, double ServerTotalMs, long Dropped, bool Stable, int Windows);

    private sealed record Window(double Throughput, double[] Latencies, double QueueMs, double DecodeMs, double PreprocessMs, double InferenceMs, double PostprocessMs, double ServerTotalMs);

    private sealed class Recorder
    {
        private readonly object _lock = new();
        private List<double> _latencies = [];
        private double _queue, _decode, _pre, _inf, _post, _total;
        private long _dropped;

        public long Dropped => Interlocked.Read(ref _dropped);

        public void Add(FrameResult result, double latencyMs)
        {
            Interlocked.Exchange(ref _dropped, Math.Max(Interlocked.Read(ref _dropped), (long)result.DroppedFrames));
            if (result.Error is null)
            {
                Add(result.Timings, latencyMs, 0);
            }
        }

        public void Add(StageTimings t, double latencyMs, long dropped)
        {
            lock (_lock)
            {
                _latencies.Add(latencyMs);
                _queue += t.QueueMs;
                _decode += t.DecodeMs;
                _pre += t.PreprocessMs;
                _inf += t.InferenceMs;
                _post += t.PostprocessMs;
                _total += t.TotalMs;
            }
        }

        public void Reset()
        {
            lock (_lock)
            {
                _latencies = [];
                _queue = _decode = _pre = _inf = _post = _total = 0;
            }
        }

        public Window Take(double seconds)
        {
            lock (_lock)
            {
                int n = Math.Max(1, _latencies.Count);
                return new Window(_latencies.Count / seconds, [.. _latencies], _queue / n, _decode / n, _pre / n, _inf / n, _post / n, _total / n);
            }
        }
    }
}
