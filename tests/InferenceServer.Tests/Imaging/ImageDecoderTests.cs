using System.Buffers.Binary;
using InferenceServer.Core.Imaging;
using InferenceServer.Tests.Fixtures;
using OpenCvSharp;

namespace InferenceServer.Tests.Imaging;

public sealed class ImageDecoderTests
{
    [Theory]
    [InlineData(1280, 720, 512, 288, 2)]
    [InlineData(1920, 1080, 640, 640, 1)]
    [InlineData(3840, 2160, 640, 384, 4)]
    [InlineData(1281, 721, 160, 90, 8)]
    [InlineData(640, 360, 640, 640, 1)]
    public void ReductionFactor_LargestScaleStillCoveringTheInput(int w, int h, int minW, int minH, int expected) =>
        Assert.Equal(expected, ImageDecoder.ReductionFactor(w, h, minW, minH));

    [Fact]
    public void DecodeAtLeast_Jpeg_DecodesAtReducedScaleAndBoxesMapBackToTheOriginal()
    {
        var (image, box) = TestImages.WhiteBox(1280, 720, 400, 200, 320, 160);
        using (image)
        {
            byte[] jpeg = TestImages.Encode(image, ".jpg");
            using var reduced = ImageDecoder.DecodeAtLeast(jpeg, ImageLimits.Default, 512, 288, out int w, out int h);
            Assert.Equal((640, 360), (reduced.Width, reduced.Height));
            Assert.Equal((1280, 720), (w, h));

            // Pack the reduced image, then map the box back relative to the original: same pixels as the original.
            var transform = LetterboxTransform.Create(ResizeMode.LetterboxCenter, reduced.Width, reduced.Height, 512, 288).RelativeTo(w, h);
            var forward = transform.MapForward(box[0], box[1], box[2], box[3]);
            var back = transform.MapBack(forward.X1, forward.Y1, forward.X2, forward.Y2);
            Assert.Equal(box[0], back.X1, 0.01f);
            Assert.Equal(box[3], back.Y2, 0.01f);
            Assert.Equal(0.4f, transform.ScaleX, 0.0001f); // as if the 1280x720 original had been letterboxed

            // The same pixels as a full decode, at half the resolution (libjpeg's DCT scaling averages).
            using var full = ImageDecoder.Decode(jpeg, ImageLimits.Default);
            using var halved = new OpenCvSharp.Mat();
            OpenCvSharp.Cv2.Resize(full, halved, new OpenCvSharp.Size(640, 360), interpolation: OpenCvSharp.InterpolationFlags.Area);
            Assert.True(OpenCvSharp.Cv2.Norm(reduced, halved, OpenCvSharp.NormTypes.L1) / (640 * 360 * 3) < 4, "mean absolute difference below 4 grey levels");
        }

        // PNG is never reduced.
        var (png, _) = TestImages.WhiteBox(1280, 720, 10, 10, 30, 20);
        using (png)
        {
            using var decoded = ImageDecoder.DecodeAtLeast(TestImages.Encode(png, ".png"), ImageLimits.Default, 512, 288, out _, out _);
            Assert.Equal(1280, decoded.Width);
        }
    }

    [Theory]
    [InlineData(".jpg")]
    [InlineData(".png")]
    [InlineData(".bmp")]
    [InlineData(".webp")]
    public void Decode_SupportedFormat_ReturnsBgrImageOfDeclaredSize(string ext)
    {
        var (image, _) = TestImages.WhiteBox(97, 61, 10, 10, 30, 20);
        using (image)
        {
            using var decoded = ImageDecoder.Decode(TestImages.Encode(image, ext), ImageLimits.Default);
            Assert.Equal(97, decoded.Width);
            Assert.Equal(61, decoded.Height);
            Assert.Equal(MatType.CV_8UC3, decoded.Type());
            Assert.True(decoded.At<Vec3b>(20, 20).Item0 > 200, "the white box should survive encoding");
        }
    }

    [Theory]
    [InlineData(".jpg")]
    [InlineData(".png")]
    [InlineData(".bmp")]
    [InlineData(".webp")]
    public void ReadHeader_SupportedFormat_ReportsSizeWithoutDecoding(string ext)
    {
        using var image = new Mat(123, 321, MatType.CV_8UC3, Scalar.All(40));
        var header = ImageHeaderReader.Read(TestImages.Encode(image, ext));
        Assert.Equal(321, header.Width);
        Assert.Equal(123, header.Height);
        Assert.True(header.IsComplete);
    }

    [Fact]
    public void Decode_Empty_ThrowsEmpty()
    {
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode([], ImageLimits.Default));
        Assert.Equal(ImageErrorKind.Empty, ex.Kind);
    }

    [Fact]
    public void Decode_GarbageBytes_ThrowsUnsupportedFormat()
    {
        var garbage = new byte[4096];
        new Random(1).NextBytes(garbage);
        garbage[0] = 0x00;
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(garbage, ImageLimits.Default));
        Assert.Equal(ImageErrorKind.UnsupportedFormat, ex.Kind);
    }

    [Fact]
    public void Decode_JpegMagicThenGarbage_ThrowsCorrupt()
    {
        var bytes = new byte[2048];
        new Random(2).NextBytes(bytes);
        bytes[0] = 0xFF;
        bytes[1] = 0xD8;
        bytes[2] = 0xFF;
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bytes, ImageLimits.Default));
        Assert.Equal(ImageErrorKind.Corrupt, ex.Kind);
    }

    [Theory]
    [InlineData(".jpg")]
    [InlineData(".png")]
    [InlineData(".webp")]
    public void Decode_TruncatedImage_ThrowsCorrupt(string ext)
    {
        using var image = new Mat(200, 300, MatType.CV_8UC3);
        Cv2.Randu(image, Scalar.All(0), Scalar.All(255));
        var bytes = TestImages.Encode(image, ext);
        var truncated = bytes.AsSpan(0, bytes.Length / 2).ToArray();
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(truncated, ImageLimits.Default));
        Assert.Equal(ImageErrorKind.Corrupt, ex.Kind);
        Assert.Contains("truncated", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Decode_PngDeclaring100000x100000_ThrowsTooLargeBeforeDecoding()
    {
        using var image = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(0));
        var bytes = TestImages.Encode(image, ".png");
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16, 4), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(20, 4), 100_000);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bytes, ImageLimits.Default));
        Assert.Equal(ImageErrorKind.TooLarge, ex.Kind);
        Assert.Contains("100000x100000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_JpegOverConfiguredLimit_ThrowsTooLarge()
    {
        using var image = new Mat(100, 100, MatType.CV_8UC3, Scalar.All(0));
        var ex = Assert.Throws<ImageDecodeException>(() =>
            ImageDecoder.Decode(TestImages.Encode(image, ".jpg"), new ImageLimits { MaxPixels = 9_999 }));
        Assert.Equal(ImageErrorKind.TooLarge, ex.Kind);
    }

    [Fact]
    public void Decode_ZeroSizePngHeader_ThrowsCorrupt()
    {
        using var image = new Mat(8, 8, MatType.CV_8UC3, Scalar.All(0));
        var bytes = TestImages.Encode(image, ".png");
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(16, 4), 0);
        var ex = Assert.Throws<ImageDecodeException>(() => ImageDecoder.Decode(bytes, ImageLimits.Default));
        Assert.Equal(ImageErrorKind.Corrupt, ex.Kind);
    }

    [Fact]
    public void FromRaw_Bgr24WithPaddedStride_CopiesPixels()
    {
        const int W = 5, H = 3, Stride = 20;
        var buffer = new byte[Stride * H];
        buffer[(1 * Stride) + (2 * 3) + 0] = 10; // pixel (x=2, y=1): B=10, G=20, R=30
        buffer[(1 * Stride) + (2 * 3) + 1] = 20;
        buffer[(1 * Stride) + (2 * 3) + 2] = 30;
        using var mat = ImageDecoder.FromRaw(buffer, PixelFormat.Bgr24, W, H, Stride, ImageLimits.Default);
        Assert.Equal(new Vec3b(10, 20, 30), mat.At<Vec3b>(1, 2));
    }

    [Fact]
    public void FromRaw_Rgb24_SwapsToBgr()
    {
        var buffer = new byte[] { 30, 20, 10, 0, 0, 0 };
        using var mat = ImageDecoder.FromRaw(buffer, PixelFormat.Rgb24, 2, 1, 0, ImageLimits.Default);
        Assert.Equal(new Vec3b(10, 20, 30), mat.At<Vec3b>(0, 0));
    }

    [Fact]
    public void FromRaw_Gray8_ReplicatesChannels()
    {
        var buffer = new byte[] { 7, 200 };
        using var mat = ImageDecoder.FromRaw(buffer, PixelFormat.Gray8, 2, 1, 0, ImageLimits.Default);
        Assert.Equal(new Vec3b(200, 200, 200), mat.At<Vec3b>(0, 1));
    }

    [Fact]
    public void FromRaw_Nv12Gray_DecodesLuma()
    {
        const int W = 4, H = 2;
        var buffer = new byte[W * H * 3 / 2];
        buffer.AsSpan(0, W * H).Fill(180);
        buffer.AsSpan(W * H).Fill(128); // neutral chroma
        using var mat = ImageDecoder.FromRaw(buffer, PixelFormat.Nv12, W, H, 0, ImageLimits.Default);
        var px = mat.At<Vec3b>(1, 3);
        Assert.InRange(px.Item0, 190, 200); // BT.601 video range: 1.164 * (180 - 16) ≈ 191
        Assert.Equal(px.Item0, px.Item2);
    }

    [Theory]
    [InlineData(PixelFormat.Bgr24, 4, 4, 0, 47)]
    [InlineData(PixelFormat.Bgr24, 4, 4, 11, 100)]
    [InlineData(PixelFormat.Nv12, 3, 4, 0, 100)]
    [InlineData(PixelFormat.Gray8, 0, 4, 0, 100)]
    public void FromRaw_InconsistentBuffer_ThrowsInvalidRawBuffer(PixelFormat format, int width, int height, int stride, int length)
    {
        var ex = Assert.Throws<ImageDecodeException>(() =>
            ImageDecoder.FromRaw(new byte[length], format, width, height, stride, ImageLimits.Default));
        Assert.Equal(ImageErrorKind.InvalidRawBuffer, ex.Kind);
    }
}
