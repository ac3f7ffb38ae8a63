using InferenceServer.Core.Imaging;
using OpenCvSharp;

namespace InferenceServer.Core.Pipeline;

/// <summary>
/// "Give me the next frame" for labelling later (a feed's or a stream's current view). Free while nobody asks:
/// producers only check <see cref="IsPending"/>; concurrent requests share the one pending capture.
/// </summary>
internal sealed class FrameCapture
{
    private readonly ImageLimits _limits;
    private TaskCompletionSource<byte[]>? _pending;

    public FrameCapture(ImageLimits limits) => _limits = limits;

    public bool IsPending => Volatile.Read(ref _pending) is not null;

    /// <summary>The next frame offered, as an encoded image; null when none comes within the timeout.</summary>
    public async Task<byte[]?> NextAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var tcs = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pending = Interlocked.CompareExchange(ref _pending, tcs, null) ?? tcs;
        try
        {
            return await pending.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Interlocked.CompareExchange(ref _pending, null, pending);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref _pending, null, pending);
            throw;
        }
    }

    /// <summary>
    /// Completes a pending capture with this frame: encoded images as sent (copied: the frame keeps its buffer;
    /// the dataset validates them), raw frames encoded as JPEG (quality 95).
    /// </summary>
    public void Offer(FrameRequest frame)
    {
        if (frame.Raw is { } raw)
        {
            Offer(raw);
        }
        else if (Interlocked.Exchange(ref _pending, null) is { } pending)
        {
            pending.TrySetResult(frame.Encoded.ToArray());
        }
    }

    /// <summary>Completes a pending capture with a raw frame, encoded as JPEG (quality 95).</summary>
    public void Offer(RawFrame raw)
    {
        if (Interlocked.Exchange(ref _pending, null) is not { } pending)
        {
            return;
        }

        try
        {
            using var bgr = ImageDecoder.FromRaw(raw.Data.Span, raw.Format, raw.Width, raw.Height, raw.Stride, _limits);
            Cv2.ImEncode(".jpg", bgr, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 95));
            pending.TrySetResult(jpeg);
        }
        catch (Exception ex) when (ex is ImageDecodeException or OpenCVException)
        {
            pending.TrySetException(ex);
        }
    }

    /// <summary>The next frame of whichever of <paramref name="captures"/> delivers first; null when none does in time.</summary>
    public static async Task<byte[]?> FirstAsync(IReadOnlyList<FrameCapture> captures, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var waits = captures.Select(c => c.NextAsync(timeout, done.Token)).ToList();
        try
        {
            while (waits.Count > 0)
            {
                var finished = await Task.WhenAny(waits).ConfigureAwait(false);
                waits.Remove(finished);
                if (finished.IsCompletedSuccessfully && finished.Result is { } image)
                {
                    return image;
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            return null;
        }
        finally
        {
            // The others stop waiting (their sources are not asked for a frame any more).
            await done.CancelAsync().ConfigureAwait(false);
            await ((Task)Task.WhenAll(waits)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>The source is going away: whoever waits learns it now instead of at the timeout.</summary>
    public void Cancel() => Interlocked.Exchange(ref _pending, null)?.TrySetCanceled();
}
