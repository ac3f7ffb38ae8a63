using System.Buffers;
using InferenceServer.Core.Imaging;

namespace InferenceServer.Core.Feeds;

/// <summary>One decoded frame from a feed, in a buffer rented from the shared pool; dispose returns it.</summary>
internal sealed class VideoFrame : IDisposable
{
    private byte[]? _buffer;

    public VideoFrame(int width, int height, PixelFormat format, int length)
    {
        Width = width;
        Height = height;
        Format = format;
        Length = length;
        _buffer = ArrayPool<byte>.Shared.Rent(length);
        CaptureUnixNanos = 0;
    }

    public int Width { get; }

    public int Height { get; }

    public PixelFormat Format { get; }

    public int Length { get; }

    /// <summary>When the reader had the whole frame (UTC, ns since the Unix epoch).</summary>
    public long CaptureUnixNanos { get; set; }

    public Memory<byte> Data => (_buffer ?? throw new ObjectDisposedException(nameof(VideoFrame))).AsMemory(0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
