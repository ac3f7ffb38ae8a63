using System.ComponentModel;
using System.Diagnostics;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// Network feeds: a decoder as a child process — Debian's FFmpeg (the FFmpeg inside OpenCvSharp's runtime is built
/// without network protocols) or GStreamer's gst-launch-1.0 — demuxing and decoding to YUV4MPEG2 on its stdout.
/// One process per connection attempt; killing it is how a stalled or removed feed lets go of the camera.
/// </summary>
internal sealed class ProcessFrameSource : IFrameSource
{
    private const int StderrLines = 8;
    private readonly Process _process;
    private readonly Y4mReader _reader;
    private readonly Queue<string> _stderr = new();
    private readonly Task _stderrPump;
    private readonly string _tool;
    private volatile bool _notLinked;
    private readonly string _what;
    private int _disposed;

    private ProcessFrameSource(Process process, string tool, string what, long maxPixels)
    {
        _process = process;
        _tool = tool;
        _what = what;

        // Small lines ("FRAME") come through a buffer; whole pictures bypass it (BufferedStream reads large spans directly).
        _reader = new Y4mReader(new BufferedStream(process.StandardOutput.BaseStream, 64 * 1024), maxPixels);
        _stderrPump = Task.Run(PumpStderrAsync);
    }

    public static ProcessFrameSource Start(FeedSpec spec, FeedDecoder decoder, string executable, long maxPixels)
    {
        var psi = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        var (args, tool, package) = decoder == FeedDecoder.Gstreamer
            ? (GstreamerArguments(spec), "gstreamer", "gstreamer1.0-tools")
            : (FfmpegArguments(spec), "ffmpeg", "ffmpeg");
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        try
        {
            var process = Process.Start(psi) ?? throw new FeedSourceException($"could not start {executable}.");
            return new ProcessFrameSource(process, tool, spec.RedactedUrl(), maxPixels);
        }
        catch (Win32Exception ex)
        {
            throw new FeedSourceException($"could not start '{executable}' (install Debian's {package} package): {ex.Message}", ex);
        }
    }

    /// <summary>FFmpeg's command line for a feed (no shell: each argument is passed as is).</summary>
    internal static IReadOnlyList<string> FfmpegArguments(FeedSpec spec)
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

    /// <summary>
    /// gst-launch-1.0's pipeline for an RTSP feed. rtspsrc hands the decoder whole access units as they arrive
    /// (FFmpeg's RTP H.264 parser holds each frame until the next one starts: one frame interval of latency);
    /// no jitter buffer wait (latency=0); decodebin picks the decoder by rank (a hardware one where installed).
    /// gst-launch joins its arguments into one pipeline description, so the URL goes in quoted — FeedSpec
    /// refuses URLs with quotes, backslashes or white space, which is what could end the quoted value.
    /// H.264 and H.265 only: other codecs stop with "not-linked" (<see cref="FeedSourceException.UnsupportedCodec"/>), because
    /// GStreamer's JPEG decoders hand out full-range pictures labelled as limited range, which YUV4MPEG2 cannot say.
    /// identity drop-allocation: without it avdec_h264 hands y4menc padded pictures (1280×740 for 720p) that
    /// y4menc writes whole, breaking the stream's framing; dropping the allocation query makes the decoder
    /// deliver tightly packed pictures. The colorimetry filter: YUV4MPEG2 carries no range, and the frames are read
    /// as limited range (what FFmpeg's yuv420p gives), so full-range JPEG pictures are converted; BT.601/709
    /// limited-range video passes through untouched.
    /// </summary>
    internal static IReadOnlyList<string> GstreamerArguments(FeedSpec spec) =>
    [
        "-q", "rtspsrc", $"location=\"{spec.Url}\"", $"protocols={spec.RtspTransport}", "latency=0",
        "!", "application/x-rtp,media=video,encoding-name=(string){H264,H265}", "!", "decodebin", "!", "videoconvert", "!", "video/x-raw,format=I420,colorimetry=(string){bt601,bt709}",
        "!", "identity", "drop-allocation=true",
        "!", "y4menc", "!", "fdsink", "fd=1", "sync=false",
    ];

    public async ValueTask<VideoFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (!_reader.HasHeader && !await _reader.ReadHeaderAsync(cancellationToken).ConfigureAwait(false))
            {
                string why = Ended("before the first frame");

                // Seen on any stderr line, not only the last few kept for the message (GStreamer prints more errors after it).
                throw new FeedSourceException(why) { UnsupportedCodec = _tool == "gstreamer" && _notLinked };
            }

            // A camera never ends by itself: the end of the decoder's output is a dropped connection.
            var frame = await _reader.ReadFrameAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new FeedSourceException(Ended("mid-stream"));
            frame.CaptureUnixNanos = UnixClock.Nanos();
            return frame;
        }
        catch (IOException ex)
        {
            throw new FeedSourceException($"reading from {_tool} failed: {ex.Message}", ex);
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
        return $"{_tool} ended {when} reading {_what} ({code}){(errors.Length > 0 ? ": " + errors : "")}";
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
                    // Status and logs are read by operators: FFmpeg prints the URL it failed on, password included.
                    _notLinked |= line.Contains("not-linked", StringComparison.Ordinal);
                    string redacted = FeedSpec.RedactCredentials(line);
                    _stderr.Enqueue(redacted.Length > 300 ? redacted[..300] : redacted);
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
