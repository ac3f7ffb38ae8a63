using System.Collections.Concurrent;
using System.ComponentModel;
using System.Diagnostics;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// Whether gst-launch-1.0 and the elements an RTSP feed needs are installed (checked once per executable with
/// gst-inspect-1.0): "auto" feeds fall back to FFmpeg when they are not.
/// </summary>
internal static class GstreamerAvailability
{
    // rtspsrc + depayloaders and y4menc: gstreamer1.0-plugins-good; avdec_h264/h265: gstreamer1.0-libav.
    private static readonly string[] Elements = ["rtspsrc", "decodebin", "videoconvert", "y4menc", "avdec_h264"];
    private static readonly ConcurrentDictionary<string, Lazy<string?>> Checked = new();

    /// <summary>Null when usable, else what is missing.</summary>
    public static string? Missing(string gstLaunchPath) =>
        Checked.GetOrAdd(gstLaunchPath, path => new Lazy<string?>(() => Check(path))).Value;

    private static string? Check(string gstLaunchPath)
    {
        string directory = Path.GetDirectoryName(gstLaunchPath) ?? "";
        string inspect = directory.Length > 0 ? Path.Combine(directory, "gst-inspect-1.0") : "gst-inspect-1.0";
        foreach (string element in Elements)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(inspect, ["--exists", element])
                {
                    UseShellExecute = false,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                });
                if (process is null || !process.WaitForExit(10_000) || process.ExitCode != 0)
                {
                    return $"GStreamer element '{element}' is not installed";
                }
            }
            catch (Win32Exception)
            {
                return $"'{inspect}' is not installed (Debian: gstreamer1.0-tools)";
            }
        }

        return File.Exists(gstLaunchPath) || directory.Length == 0 ? null : $"'{gstLaunchPath}' does not exist";
    }
}
