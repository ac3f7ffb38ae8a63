using System.ComponentModel;
using System.Diagnostics;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// Network feeds: Debian's FFmpeg as a child process (the FFmpeg inside OpenCvSharp's runtime is built without
/// network protocols) demuxing and decoding to YUV4MPEG2 on its stdout. One process per connection attempt;
/// killing it is how a stalled or removed feed lets go of the camera.
/// </summary>
internal sealed class FfmpegFrameSource : IFrameSource
{
    private const int StderrLines = 8;
    private readonly Process _process;
    private readonly Y4mReader _reader;
    private readonly Queue<string> _stderr = new();
    private readonly Task _stderrPump;
    private readonly string _what;
    private int _disposed;

    private FfmpegFrameSource(Process process, string what, long maxPixels)
    {
        _process = process;
        _what = what;

        // Small lines ("FRAME") come through a buffer; whole pictures bypass it (BufferedStream reads large spans directly).
        _reader = new Y4mReader(new BufferedStream(process.StandardOutput.BaseStream, 64 * 1024), maxPixels);
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    public static FfmpegFrameSource Start(FeedSpec spec, string ffmpegPath, long maxPixels)
    {
        var psi = new ProcessStartInfo(ffmpegPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in Arguments(spec))
        {
            psi.ArgumentList.Add(arg);
        }

        try
        {
            var process = Process.Start(psi) ?? throw new FeedSourceException($"could not start {ffmpegPath}.");
            return new FfmpegFrameSource(process, spec.RedactedUrl(), maxPixels);
        }
        catch (Win32Exception ex)
        {
            throw new FeedSourceException($"could not start '{ffmpegPath}' (install Debian's ffmpeg package): {ex.Message}", ex);
        }
    }

    /// <summary>FFmpeg's command line for a feed (no shell: each argument is passed as is).</summary>
    internal static IReadOnlyList<string> Arguments(FeedSpec spec)
    {
        var args = new List<string> { "-nostdin", "-hide_banner", "-loglevel", "error" };
        if (spec.Url.StartsWith("rtsp", StringComparison.OrdinalIgnoreCase))
        {
            // The SDP already describes the stream: probing it again costs ~1.5 s per (re)connect.
            args.AddRange(["-rtsp_transport", spec.RtspTransport, "-probesize", "32", "-analyzeduration", "0"]);
        }

        if (!string.IsNullOrEmpty(spec.HwAccel))
        {
            args.AddRange(["-hwaccel", spec.HwAccel]);
        }

        // No input buffering beyond what demuxing needs: results should describe what the camera shows now.
        args.AddRange(["-fflags", "nobuffer", "-flags", "low_delay", "-i", spec.Url]);

        // Video only, every decoded picture as it comes (no frame-rate conversion), 4:2:0 with a size header.
        args.AddRange(["-an", "-sn", "-dn", "-fps_mode", "passthrough", "-f", "yuv4mpegpipe", "-pix_fmt", "yuv420p", "pipe:1"]);
        return args;
    }

    public async ValueTask<VideoFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!_reader.HasHeader && !await _reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false))
            {
                throw new FeedSourceException(Ended("before the first frame"));
            }

            // A camera never ends by itself: the end of FFmpeg's output is a dropped connection.
            var frame = await _reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new FeedSourceException(Ended("mid-stream"));
            frame.CaptureUnixNanos = UnixClock.Nanos();
            return frame;
        }
        catch (IOException ex)
        {
            throw new FeedSourceException($"reading from ffmpeg failed: {ex.Message}", ex);
        }
    }

    /// <summary>Why the process ended, from its exit code and last error lines.</summary>
    public string Ended(string when)
    {
        _process.WaitForExit(1000);
        _stderrPump.Wait(500);
        string errors;
        lock (_stderr)
        {
            errors = string.Join(" | ", _stderr);
        }

        string code = _process.HasExited ? $"exit code {_process.ExitCode}" : "still running";
        return $"ffmpeg ended {when} reading {_what} ({code}){(errors.Length > 0 ? ": " + errors : "")}";
    }

    public void Abort() => Kill();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        _process.WaitForExit(2000);
        _process.Dispose();
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception)
        {
            // Already gone.
        }
    }

    private async Task PumpStderrAsync()
    {
        try
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is string line)
            {
                lock (_stderr)
                {
                    _stderr.Enqueue(line.Length > 300 ? line[..300] : line);
                    if (_stderr.Count > StderrLines)
                    {
                        _stderr.Dequeue();
                    }
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The process went away.
        }
    }
}
