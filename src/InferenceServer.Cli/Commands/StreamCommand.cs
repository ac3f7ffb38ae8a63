using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceServer.Protos.Detection.V1;
using OpenCvSharp;

namespace InferenceServer.Cli.Commands;

/// <summary>
/// <c>infer stream VIDEO [--server URL] [--streams N] [--fps F] [--mode latest|block] [--model M] [--frames N]
/// [--out annotated.mp4] [--json summary.json]</c>: streams a video file (as N cameras) through StreamDetect with a
/// live status line and a summary.
/// </summary>
internal static class StreamCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var r = new ArgReader(args);
        if (r.Positional.Count != 1)
        {
            throw new UsageException("stream needs one VIDEO file");
        }

        string source = r.Positional[0];
        string server = r.String("--server") ?? Environment.GetEnvironmentVariable("INFERENCESERVER_GRPC") ?? "http://127.0.0.1:8001";
        int streams = r.Int("--streams", 1);
        double fps = r.Double("--fps", -1);
        string mode = r.String("--mode") ?? "latest";
        string? model = r.String("--model");
        int maxFrames = r.Int("--frames", 0);
        string? outPath = r.String("--out");
        string? jsonPath = r.String("--json");
        int quality = r.Int("--jpeg-quality", 90);
        string? swapVersions = r.String("--swap-versions");
        double swapInterval = r.Double("--swap-interval", 2);
        string rest = r.String("--rest") ?? Environment.GetEnvironmentVariable("INFERENCESERVER_URL") ?? "http://127.0.0.1:8000";
        r.RejectUnknown();
        if (streams < 1 || streams > 256)
        {
            throw new UsageException("--streams must be within 1..256");
        }

        if (mode is not ("latest" or "block"))
        {
            throw new UsageException("--mode must be latest or block");
        }

        if (source.Contains("://", StringComparison.Ordinal))
        {
            throw new UsageException("stream reads video files; network cameras are pulled by the server itself (feeds)");
        }

        var (frames, sourceFps, width, height) = LoadFrames(source, maxFrames, quality);
        if (fps < 0)
        {
            fps = sourceFps;
        }

        Console.Error.WriteLine($"{source}: {frames.Count} frames {width}x{height}, sending at {(fps > 0 ? $"{fps:F1} fps" : "full speed")} on {streams} stream(s), mode {mode}");
        using var channel = GrpcChannel.ForAddress(server, new GrpcChannelOptions { MaxReceiveMessageSize = 64 * 1024 * 1024, MaxSendMessageSize = 64 * 1024 * 1024 });
        var client = new Detector.DetectorClient(channel);

        var latency = new LatencyStats();
        var server_ = new ConcurrentDictionary<string, LatencyStats>();
        long results = 0;
        long errors = 0;
        var dropped = new long[streams];
        var annotated = outPath is null ? null : new ConcurrentDictionary<ulong, FrameResult>();
        var sw = Stopwatch.StartNew();
        using var cts = new CancellationTokenSource();
        var status = Task.Run(async () =>
        {
            long last = 0;
            while (!cts.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(1000, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                long now = Interlocked.Read(ref results);
                Console.Error.Write($"\r{sw.Elapsed.TotalSeconds,6:F1}s  {now - last,5} fps  p50 {latency.Percentile(50),7:F1} ms  p99 {latency.Percentile(99),7:F1} ms  dropped {dropped.Sum()}   ");
                last = now;
            }
        });

        var swaps = swapVersions is null ? null : new SwapDriver(rest, model ?? "shapes", swapVersions.Split(','), swapInterval);
        var tasks = Enumerable.Range(0, streams).Select(s => RunOneAsync(
            client, $"cli-{s}", frames, fps, mode, model, latency, server_, s == 0 ? annotated : null,
            () => Interlocked.Increment(ref results), () => Interlocked.Increment(ref errors), d => dropped[s] = d, swaps)).ToArray();
        var swapTask = swaps?.RunAsync(cts.Token) ?? Task.CompletedTask;
        await Task.WhenAll(tasks);
        double seconds = sw.Elapsed.TotalSeconds;
        await cts.CancelAsync();
        await status;
        await swapTask;
        Console.Error.WriteLine();

        long sent = (long)frames.Count * streams;
        var summary = new
        {
            source,
            streams,
            mode,
            frames_sent = sent,
            results,
            errors,
            dropped = dropped.Sum(),
            seconds = Math.Round(seconds, 2),
            throughput_fps = Math.Round(results / seconds, 1),
            latency_ms = new { p50 = R(latency.Percentile(50)), p90 = R(latency.Percentile(90)), p95 = R(latency.Percentile(95)), p99 = R(latency.Percentile(99)) },
            server_ms = server_.ToDictionary(kv => kv.Key, kv => R(kv.Value.Mean())),
            swaps = swaps?.Summary(),
        };
        Console.WriteLine(JsonSerializer.Serialize(summary, new JsonSerializerOptions { WriteIndented = true }));
        if (jsonPath is not null)
        {
            await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(summary));
        }

        if (annotated is not null)
        {
            WriteAnnotated(outPath!, frames, annotated, width, height, fps > 0 ? fps : 30);
        }

        return errors == 0 ? 0 : 1;
    }

    private static double R(double v) => double.IsNaN(v) ? 0 : Math.Round(v, 2);

    private static async Task RunOneAsync(
        Detector.DetectorClient client, string id, IReadOnlyList<ByteString> frames, double fps, string mode, string? model,
        LatencyStats latency, ConcurrentDictionary<string, LatencyStats> serverStages, ConcurrentDictionary<ulong, FrameResult>? annotated,
        Action onResult, Action onError, Action<long> onDropped, SwapDriver? swaps)
    {
        using var call = client.StreamDetect();
        var sentAt = new long[frames.Count];
        var reader = Task.Run(async () =>
        {
            await foreach (var result in call.ResponseStream.ReadAllAsync())
            {
                long now = Stopwatch.GetTimestamp();
                latency.Add(Stopwatch.GetElapsedTime(Volatile.Read(ref sentAt[(int)result.Sequence]), now).TotalMilliseconds);
                onDropped((long)result.DroppedFrames);
                if (result.Error is not null)
                {
                    onError();
                    continue;
                }

                onResult();
                swaps?.Observe(result.Version, Stopwatch.GetElapsedTime(Volatile.Read(ref sentAt[(int)result.Sequence]), now).TotalMilliseconds, now);
                var t = result.Timings;
                serverStages.GetOrAdd("queue", _ => new()).Add(t.QueueMs);
                serverStages.GetOrAdd("decode", _ => new()).Add(t.DecodeMs);
                serverStages.GetOrAdd("preprocess", _ => new()).Add(t.PreprocessMs);
                serverStages.GetOrAdd("inference", _ => new()).Add(t.InferenceMs);
                serverStages.GetOrAdd("postprocess", _ => new()).Add(t.PostprocessMs);
                serverStages.GetOrAdd("total", _ => new()).Add(t.TotalMs);
                annotated?.TryAdd(result.Sequence, result);
            }
        });

        var start = Stopwatch.GetTimestamp();
        for (int i = 0; i < frames.Count; i++)
        {
            if (fps > 0)
            {
                var due = TimeSpan.FromSeconds(i / fps) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due);
                }
            }

            var frame = new Frame
            {
                StreamId = id,
                Sequence = (ulong)i,
                CaptureTimeUnixNanos = DateTime.UtcNow.Ticks * 100,
                Image = new Image { Encoded = frames[i] },
                Backpressure = mode == "block" ? Backpressure.Block : Backpressure.Latest,
            };
            if (i == 0 && model is not null)
            {
                frame.Options = new DetectOptions { Model = model };
            }

            Volatile.Write(ref sentAt[i], Stopwatch.GetTimestamp());
            await call.RequestStream.WriteAsync(frame);
        }

        await call.RequestStream.CompleteAsync();
        await reader;
    }

    private static (List<ByteString> Frames, double Fps, int Width, int Height) LoadFrames(string path, int maxFrames, int quality)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"video file '{path}' not found");
        }

        using var capture = new VideoCapture(path);
        if (!capture.IsOpened())
        {
            throw new IOException($"cannot open '{path}' as a video");
        }

        var frames = new List<ByteString>();
        using var frame = new Mat();
        while ((maxFrames == 0 || frames.Count < maxFrames) && capture.Read(frame) && !frame.Empty())
        {
            Cv2.ImEncode(".jpg", frame, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, quality));
            frames.Add(ByteString.CopyFrom(jpeg));
        }

        if (frames.Count == 0)
        {
            throw new IOException($"'{path}' has no readable frames");
        }

        return (frames, capture.Fps > 0 ? capture.Fps : 30, capture.FrameWidth, capture.FrameHeight);
    }

    private static void WriteAnnotated(string path, List<ByteString> frames, ConcurrentDictionary<ulong, FrameResult> results, int width, int height, double fps)
    {
        using var writer = new VideoWriter(path, FourCC.FromString("mp4v"), fps, new Size(width, height));
        for (int i = 0; i < frames.Count; i++)
        {
            using var mat = Cv2.ImDecode(frames[i].ToByteArray(), ImreadModes.Color);
            if (results.TryGetValue((ulong)i, out var result))
            {
                foreach (var d in result.Detections)
                {
                    Cv2.Rectangle(mat, new Point((int)d.Box.X1, (int)d.Box.Y1), new Point((int)d.Box.X2, (int)d.Box.Y2), Scalar.LimeGreen, 2);
                    Cv2.PutText(mat, $"{d.Label} {d.Score:F2}", new Point((int)d.Box.X1, Math.Max(12, (int)d.Box.Y1 - 4)), HersheyFonts.HersheySimplex, 0.5, Scalar.LimeGreen, 1);
                }
            }

            writer.Write(mat);
        }

        Console.Error.WriteLine($"wrote {path}");
    }
}
