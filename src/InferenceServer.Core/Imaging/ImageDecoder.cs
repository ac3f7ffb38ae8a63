using System.Runtime.InteropServices;
using OpenCvSharp;

namespace InferenceServer.Core.Imaging;

/// <summary>
/// Turns encoded bytes or raw pixel buffers into an owned 8-bit BGR <see cref="Mat"/>.
/// Every failure is an <see cref="ImageDecodeException"/>; nothing else escapes.
/// </summary>
internal static class ImageDecoder
{
    public static Mat Decode(ReadOnlySpan<byte> encoded, ImageLimits limits) =>
        Decode(encoded, ImageHeaderReader.Read(encoded), limits, 1);

    /// <summary>
    /// Decodes for a model input of <paramref name="minWidth"/>×<paramref name="minHeight"/>: a JPEG is decoded at the
    /// smallest DCT scale (1/8, 1/4, 1/2) that is still at least that size in both dimensions, other formats at full
    /// size. <paramref name="originalWidth"/>/<paramref name="originalHeight"/> are the encoded image's size.
    /// </summary>
    public static Mat DecodeAtLeast(ReadOnlySpan<byte> encoded, ImageLimits limits, int minWidth, int minHeight, out int originalWidth, out int originalHeight)
    {
        var header = ImageHeaderReader.Read(encoded);
        originalWidth = header.Width;
        originalHeight = header.Height;
        int factor = header.Format == ImageFormat.Jpeg ? ReductionFactor(header.Width, header.Height, minWidth, minHeight) : 1;
        return Decode(encoded, header, limits, factor);
    }

    /// <summary>The largest of 8, 4, 2 (else 1) that keeps a width×height image at least minWidth×minHeight.</summary>
    internal static int ReductionFactor(int width, int height, int minWidth, int minHeight)
    {
        foreach (int f in (ReadOnlySpan<int>)[8, 4, 2])
        {
            if ((width + f - 1) / f >= minWidth && (height + f - 1) / f >= minHeight)
            {
                return f;
            }
        }

        return 1;
    }

    /// <summary>Decodes at 1/<paramref name="factor"/> scale (1, or 2/4/8 for JPEG), checked against the header first.</summary>
    private static Mat Decode(ReadOnlySpan<byte> encoded, ImageHeader header, ImageLimits limits, int factor)
    {
        CheckPixels(header.Width, header.Height, limits);
        if (!header.IsComplete)
        {
            throw ImageHeaderReader.Truncated(header.Format.ToString().ToUpperInvariant());
        }

        var mode = factor switch
        {
            8 => ImreadModes.ReducedColor8,
            4 => ImreadModes.ReducedColor4,
            2 => ImreadModes.ReducedColor2,
            _ => ImreadModes.Color,
        };
        Mat mat;
        try
        {
            mat = Cv2.ImDecode(encoded, mode);
        }
        catch (OpenCVException ex)
        {
            throw new ImageDecodeException(ImageErrorKind.Corrupt, $"Corrupt {header.Format} image: {ex.Message}");
        }

        // libjpeg's scaled output is ceil(size / factor).
        if (mat.Empty() || mat.Width != (header.Width + factor - 1) / factor || mat.Height != (header.Height + factor - 1) / factor)
        {
            mat.Dispose();
            throw new ImageDecodeException(ImageErrorKind.Corrupt, $"Corrupt {header.Format} image: the decoder could not read its pixels.");
        }

        return mat;
    }

    /// <summary>Copies a raw frame into a new BGR <see cref="Mat"/>; <paramref name="stride"/> 0 means tightly packed.</summary>
    public static unsafe Mat FromRaw(ReadOnlySpan<byte> pixels, PixelFormat format, int width, int height, int stride, ImageLimits limits)
    {
        if (width <= 0 || height <= 0)
        {
            throw new ImageDecodeException(ImageErrorKind.InvalidRawBuffer, $"Raw frame size must be positive (got {width}x{height}).");
        }

        CheckPixels(width, height, limits);
        int bytesPerPixel = format switch
        {
            PixelFormat.Bgr24 or PixelFormat.Rgb24 => 3,
            PixelFormat.Gray8 or PixelFormat.Nv12 or PixelFormat.I420 => 1,
            _ => throw new ImageDecodeException(ImageErrorKind.InvalidRawBuffer, $"Unknown pixel format {format}."),
        };

        long minStride = (long)width * bytesPerPixel;
        if (stride == 0)
        {
            stride = (int)minStride;
        }

        if (stride < minStride)
        {
            throw new ImageDecodeException(ImageErrorKind.InvalidRawBuffer, $"Stride {stride} is smaller than one row of {format} ({minStride} bytes).");
        }

        long rows = height;
        if (format is PixelFormat.Nv12 or PixelFormat.I420)
        {
            if ((width & 1) != 0 || (height & 1) != 0)
            {
                throw new ImageDecodeException(ImageErrorKind.InvalidRawBuffer, $"{format} needs even width and height (got {width}x{height}).");
            }

            if (format == PixelFormat.I420 && stride != width)
            {
                throw new ImageDecodeException(ImageErrorKind.InvalidRawBuffer, $"I420 planes must be packed (stride {stride} != width {width}).");
            }

            rows = height + (height / 2);
        }

        // The last row need not be padded to the full stride.
        long needed = ((rows - 1) * stride) + minStride;
        if (pixels.Length < needed)
        {
            throw new ImageDecodeException(ImageErrorKind.InvalidRawBuffer, $"Raw {format} {width}x{height} (stride {stride}) needs {needed} bytes, got {pixels.Length}.");
        }

        fixed (byte* p = &MemoryMarshal.GetReference(pixels))
        {
            var type = format is PixelFormat.Bgr24 or PixelFormat.Rgb24 ? MatType.CV_8UC3 : MatType.CV_8UC1;
            using var view = Mat.FromPixelData((int)rows, width, type, (IntPtr)p, stride);
            var bgr = new Mat();
            switch (format)
            {
                case PixelFormat.Bgr24:
                    view.CopyTo(bgr);
                    break;
                case PixelFormat.Rgb24:
                    Cv2.CvtColor(view, bgr, ColorConversionCodes.RGB2BGR);
                    break;
                case PixelFormat.Gray8:
                    Cv2.CvtColor(view, bgr, ColorConversionCodes.GRAY2BGR);
                    break;
                case PixelFormat.I420:
                    Cv2.CvtColor(view, bgr, ColorConversionCodes.YUV2BGR_I420);
                    break;
                default:
                    Cv2.CvtColor(view, bgr, ColorConversionCodes.YUV2BGR_NV12);
                    break;
            }

            return bgr;
        }
    }

    private static void CheckPixels(int width, int height, ImageLimits limits)
    {
        long pixels = (long)width * height;
        if (pixels > limits.MaxPixels)
        {
            throw new ImageDecodeException(
                ImageErrorKind.TooLarge,
                $"Image of {width}x{height} ({pixels} pixels) exceeds the limit of {limits.MaxPixels} pixels.");
        }
    }
}
