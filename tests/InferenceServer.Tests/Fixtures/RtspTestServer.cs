using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace InferenceServer.Tests.Fixtures;

/// <summary>
/// A real RTSP server (GStreamer's gst-rtsp-server, driven by Fixtures/rtsp_server.py) serving a folder of JPEG
/// frames in a loop at a fixed rate, as RTP/JPEG, H.264 or H.265 (encoded by ffmpeg's libx264/libx265, a key
/// frame per second);
/// records when each frame was pushed so tests can measure end-to-end latency.
/// </summary>
internal sealed class RtspTestServer : IAsyncDisposable
{
    private static readonly Lazy<string?> Missing = new(FindMissing);
    private readonly string _frames;
    private readonly double _fps;
    private readonly string[] _mounts;
    private readonly string _codec;
    private readonly ConcurrentQueue<(long Index, int File, long UnixNanos)> _pushes = new();
    private Process? _process;

    private RtspTestServer(string frames, double fps, string[] mounts, string codec, int port)
    {
        _codec = codec;
        _frames = frames;
        _fps = fps;
        _mounts = mounts;
        Port = port;
    }

    /// <summary>Why the server cannot run here (missing Debian packages), or null.</summary>
    public static string? Unavailable => Missing.Value;

    public int Port { get; }

    public IReadOnlyCollection<(long Index, int File, long UnixNanos)> Pushes => _pushes;

    /// <param name="codec">jpeg, h264 or h265 (then the frame count must be a multiple of the fps: one key frame per second).</param>
    public static async Task<RtspTestServer> StartAsync(string frames, double fps, string[]? mounts = null, string codec = "jpeg")
    {
        var server = new RtspTestServer(frames, fps, mounts is { Length: > 0 } ? mounts : ["/cam"], codec, FreePort());
        await server.RestartAsync();
        return server;
    }

    public string Url(string? mount = null) => $"rtsp://127.0.0.1:{Port}{mount ?? _mounts[0]}";

    /// <summary>Starts (again) on the same port; returns once it listens.</summary>
    public async Task RestartAsync()
    {
        var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "tests", "InferenceServer.Tests", "Fixtures", "rtsp_server.py"));
        psi.ArgumentList.Add("--port");
        psi.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.ArgumentList.Add("--frames");
        psi.ArgumentList.Add(_frames);
        psi.ArgumentList.Add("--fps");
        psi.ArgumentList.Add(_fps.ToString(System.Globalization.CultureInfo.InvariantCulture));
        psi.ArgumentList.Add("--codec");
        psi.ArgumentList.Add(_codec);
        psi.ArgumentList.Add("--gop");
        psi.ArgumentList.Add(((int)Math.Round(_fps)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var m in _mounts)
        {
            psi.ArgumentList.Add("--mount");
            psi.ArgumentList.Add(m);
        }

        var process = Process.Start(psi)!;
        _process = process;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = process.StandardError.ReadToEndAsync();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is string line)
            {
                var parts = line.Split(' ');
                if (parts[0] == "ready")
                {
                    ready.TrySetResult();
                }
                else if (parts[0] == "frame" && parts.Length == 4)
                {
                    _pushes.Enqueue((long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture)));
                }
            }

            ready.TrySetException(new InvalidOperationException("rtsp_server.py exited: " + await stderr));
        });
        await ready.Task.WaitAsync(TimeSpan.FromSeconds(60)); // h264/h265: the frames are encoded first (seconds on 2 cores)
    }

    /// <summary>Kills the server (a camera that drops off the network).</summary>
    public async Task StopAsync()
    {
        if (_process is { } p)
        {
            _process = null;
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }

            await p.WaitForExitAsync();
            p.Dispose();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? FindMissing()
    {
        try
        {
            var (code, _, err) = ProcessRunner.RunAsync(
                "/usr/bin/python3",
                ["-c", "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer, Gst; Gst.init(None); assert Gst.ElementFactory.find('rtpjpegpay') and Gst.ElementFactory.find('jpegparse')"],
                TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
            return code == 0 ? null : $"GStreamer RTSP server not available (apt install python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-bad): {err.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return "/usr/bin/python3 not available: " + ex.Message;
        }
    }
}
