using System.Diagnostics;
using InferenceServer.Core.Imaging;
using OpenCvSharp;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// Local video files through OpenCV's VideoCapture, paced at the file's own frame rate so a file behaves like a
/// camera (a feed describes "now", it is not a batch job); optionally looped.
/// </summary>
internal sealed class FileFrameSource : IFrameSource
{
    private readonly VideoCapture _capture;
    private readonly Mat _bgr = new();
    private readonly string _path;
    private readonly bool _loop;
    private readonly long _maxPixels;
    private readonly TimeSpan _period;
    private long _start;
    private long _index;
    private volatile bool _aborted;

    private FileFrameSource(VideoCapture capture, string path, bool loop, long maxPixels)
    {
        _capture = capture;
        _path = path;
        _loop = loop;
        _maxPixels = maxPixels;
        double fps = capture.Fps;
        _period = TimeSpan.FromSeconds(1.0 / (fps is > 0 and < 1000 ? fps : 25));
        _start = Stopwatch.GetTimestamp();
    }

    public static FileFrameSource Open(string path, bool loop, long maxPixels)
    {
        if (!File.Exists(path))
        {
            throw new FeedSourceException($"file '{path}' does not exist.");
        }

        var capture = new VideoCapture(path);
        if (!capture.IsOpened())
        {
            capture.Dispose();
            throw new FeedSourceException($"cannot open '{path}' as a video.");
        }

        return new FileFrameSource(capture, path, loop, maxPixels);
    }

    public async ValueTask<VideoFrame?> ReadAsync(CancellationToken cancellationToken)
    {
        // Wait for this frame's moment in the file's timeline.
        var due = _period * _index;
        var wait = due - Stopwatch.GetElapsedTime(_start);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }

        if (_aborted)
        {
            throw new FeedSourceException("the read was aborted.");
        }

        if (!_capture.Read(_bgr) || _bgr.Empty())
        {
            if (!_loop || _index == 0)
            {
                return null;
            }

            // Back to the start; the timeline restarts so the loop keeps the file's pace.
            _capture.Set(VideoCaptureProperties.PosFrames, 0);
            _start = Stopwatch.GetTimestamp();
            _index = 0;
            if (!_capture.Read(_bgr) || _bgr.Empty())
            {
                return null;
            }
        }

        _index++;
        if ((long)_bgr.Width * _bgr.Height > _maxPixels)
        {
            throw new FeedSourceException($"'{_path}' has {_bgr.Width}x{_bgr.Height} frames, more than {_maxPixels} pixels.");
        }

        int rowBytes = _bgr.Width * 3;
        var frame = new VideoFrame(_bgr.Width, _bgr.Height, PixelFormat.Bgr24, rowBytes * _bgr.Height);
        CopyPixels(_bgr, frame.Data.Span, rowBytes);
        frame.CaptureUnixNanos = UnixClock.Nanos();
        return frame;
    }

    public void Abort() => _aborted = true;

    public void Dispose()
    {
        _bgr.Dispose();
        _capture.Dispose();
    }

    private static unsafe void CopyPixels(Mat bgr, Span<byte> destination, int rowBytes)
    {
        if (bgr.IsContinuous())
        {
            new ReadOnlySpan<byte>((void*)bgr.Data, rowBytes * bgr.Height).CopyTo(destination);
            return;
        }

        int height = bgr.Height;
        for (int y = 0; y < height; y++)
        {
            new ReadOnlySpan<byte>((void*)bgr.Ptr(y), rowBytes).CopyTo(destination.Slice(y * rowBytes, rowBytes));
        }
    }
}
