using System.Globalization;
using System.Text;
using InferenceServer.Core.Imaging;

namespace InferenceServer.Core.Feeds;

/// <summary>
/// Reads a YUV4MPEG2 stream (what <c>ffmpeg -f yuv4mpegpipe -pix_fmt yuv420p</c> writes): a header line with the
/// size, then "FRAME" lines each followed by one I420 picture. Self-describing, so the reader needs no probe.
/// </summary>
internal sealed class Y4mReader
{
    private const int MaxLine = 1024;
    private readonly Stream _stream;
    private readonly long _maxPixels;
    private readonly byte[] _line = new byte[MaxLine];
    private readonly byte[] _one = new byte[1];

    public Y4mReader(Stream stream, long maxPixels)
    {
        _stream = stream;
        _maxPixels = maxPixels;
    }

    public int Width { get; private set; }

    public int Height { get; private set; }

    public double Fps { get; private set; }

    public bool HasHeader => Width > 0;

    /// <summary>Reads the stream header; false when the stream ended before it.</summary>
    public async ValueTask<bool> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        string? line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line is null)
        {
            return false;
        }

        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0 || parts[0] != "YUV4MPEG2")
        {
            throw new FeedSourceException($"not a YUV4MPEG2 stream (header '{Truncate(line)}').");
        }

        string chroma = "420jpeg";
        foreach (var p in parts.Skip(1))
        {
            switch (p[0])
            {
                case 'W':
                    Width = ParseInt(p);
                    break;
                case 'H':
                    Height = ParseInt(p);
                    break;
                case 'C':
                    chroma = p[1..];
                    break;
                case 'F':
                    var f = p[1..].Split(':');
                    if (f.Length == 2 && double.TryParse(f[0], CultureInfo.InvariantCulture, out double n) && double.TryParse(f[1], CultureInfo.InvariantCulture, out double d) && d > 0)
                    {
                        Fps = n / d;
                    }

                    break;
            }
        }

        if (!chroma.StartsWith("420", StringComparison.Ordinal))
        {
            throw new FeedSourceException($"unsupported YUV4MPEG2 chroma '{chroma}' (expected 4:2:0).");
        }

        if (Width <= 0 || Height <= 0 || (Width & 1) != 0 || (Height & 1) != 0 || (long)Width * Height > _maxPixels)
        {
            throw new FeedSourceException($"unsupported frame size {Width}x{Height} (even, at most {_maxPixels} pixels).");
        }

        return true;
    }

    /// <summary>The next picture as I420 in a pooled buffer, or null at the end of the stream.</summary>
    public async ValueTask<VideoFrame?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        string? line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line is null)
        {
            return null;
        }

        if (!line.StartsWith("FRAME", StringComparison.Ordinal))
        {
            throw new FeedSourceException($"corrupt YUV4MPEG2 stream (expected FRAME, got '{Truncate(line)}').");
        }

        int length = checked(Width * Height * 3 / 2);
        var frame = new VideoFrame(Width, Height, PixelFormat.I420, length);
        try
        {
            await _stream.ReadExactlyAsync(frame.Data, cancellationToken).ConfigureAwait(false);
            return frame;
        }
        catch (EndOfStreamException)
        {
            frame.Dispose();
            return null; // A picture cut short by the end of the stream is not a frame.
        }
        catch
        {
            frame.Dispose();
            throw;
        }
    }

    private async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var bytes = _line;
        var one = _one;
        int n = 0;
        while (true)
        {
            int read = await _stream.ReadAsync(one, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return null;
            }

            if (one[0] == (byte)'\n')
            {
                return Encoding.ASCII.GetString(bytes, 0, n);
            }

            if (n == MaxLine)
            {
                throw new FeedSourceException("corrupt YUV4MPEG2 stream (header line too long).");
            }

            bytes[n++] = one[0];
        }
    }

    private static int ParseInt(string token) =>
        int.TryParse(token.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : -1;

    private static string Truncate(string s) => s.Length > 64 ? s[..64] : s;
}
