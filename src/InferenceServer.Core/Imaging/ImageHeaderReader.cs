using System.Buffers.Binary;

namespace InferenceServer.Core.Imaging;

/// <summary>
/// Reads the dimensions an encoded image declares, so oversized images (decompression bombs)
/// are refused before a decoder allocates anything, and checks that the stream is not cut short.
/// </summary>
internal static class ImageHeaderReader
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static ImageHeader Read(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            throw new ImageDecodeException(ImageErrorKind.Empty, "The image is empty (0 bytes).");
        }

        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return ReadJpeg(data);
        }

        if (data.Length >= 8 && data[..8].SequenceEqual(PngSignature))
        {
            return ReadPng(data);
        }

        if (data.Length >= 2 && data[0] == (byte)'B' && data[1] == (byte)'M')
        {
            return ReadBmp(data);
        }

        if (data.Length >= 12 && data[..4].SequenceEqual("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
        {
            return ReadWebP(data);
        }

        throw new ImageDecodeException(
            ImageErrorKind.UnsupportedFormat,
            "Unrecognised image format: expected JPEG, PNG, BMP or WebP bytes.");
    }

    private static ImageHeader ReadJpeg(ReadOnlySpan<byte> data)
    {
        int pos = 2;
        while (true)
        {
            // Markers may be preceded by any number of 0xFF fill bytes.
            while (pos < data.Length && data[pos] == 0xFF)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                throw Truncated("JPEG");
            }

            byte marker = data[pos++];
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7))
            {
                continue; // Standalone markers carry no length.
            }

            if (marker == 0xD9 || marker == 0xDA)
            {
                throw new ImageDecodeException(ImageErrorKind.Corrupt, "Corrupt JPEG: no frame header before the image data.");
            }

            if (pos + 2 > data.Length)
            {
                throw Truncated("JPEG");
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos, 2));
            if (length < 2)
            {
                throw new ImageDecodeException(ImageErrorKind.Corrupt, "Corrupt JPEG: invalid segment length.");
            }

            bool isStartOfFrame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (isStartOfFrame)
            {
                if (pos + 7 > data.Length)
                {
                    throw Truncated("JPEG");
                }

                int height = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos + 3, 2));
                int width = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos + 5, 2));
                if (width == 0 || height == 0)
                {
                    throw new ImageDecodeException(ImageErrorKind.Corrupt, $"Corrupt JPEG: declared size {width}x{height}.");
                }

                return new ImageHeader(ImageFormat.Jpeg, width, height, EndsWithJpegEoi(data));
            }

            pos += length;
        }
    }

    private static bool EndsWithJpegEoi(ReadOnlySpan<byte> data)
    {
        // Some encoders pad after the end-of-image marker; tolerate a short tail.
        var tail = data[Math.Max(0, data.Length - 64)..];
        for (int i = tail.Length - 2; i >= 0; i--)
        {
            if (tail[i] == 0xFF && tail[i + 1] == 0xD9)
            {
                return true;
            }
        }

        return false;
    }

    private static ImageHeader ReadPng(ReadOnlySpan<byte> data)
    {
        if (data.Length < 24)
        {
            throw Truncated("PNG");
        }

        if (!data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            throw new ImageDecodeException(ImageErrorKind.Corrupt, "Corrupt PNG: the first chunk is not IHDR.");
        }

        uint width = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(16, 4));
        uint height = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(20, 4));
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw new ImageDecodeException(ImageErrorKind.Corrupt, $"Corrupt PNG: declared size {width}x{height}.");
        }

        // Every complete PNG closes with an IEND chunk (length 0, "IEND", CRC).
        bool complete = data.Length >= 12 && data.Slice(data.Length - 8, 4).SequenceEqual("IEND"u8);
        return new ImageHeader(ImageFormat.Png, (int)width, (int)height, complete);
    }

    private static ImageHeader ReadBmp(ReadOnlySpan<byte> data)
    {
        if (data.Length < 26)
        {
            throw Truncated("BMP");
        }

        int dibSize = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(14, 4));
        long width;
        long height;
        if (dibSize == 12)
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(18, 2));
            height = BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(20, 2));
        }
        else
        {
            width = BinaryPrimitives.ReadInt32LittleEndian(data.Slice(18, 4));
            height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(data.Slice(22, 4)));
        }

        if (width <= 0 || height <= 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw new ImageDecodeException(ImageErrorKind.Corrupt, $"Corrupt BMP: declared size {width}x{height}.");
        }

        uint fileSize = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(2, 4));
        bool complete = fileSize == 0 || fileSize <= data.Length;
        return new ImageHeader(ImageFormat.Bmp, (int)width, (int)height, complete);
    }

    private static ImageHeader ReadWebP(ReadOnlySpan<byte> data)
    {
        if (data.Length < 30)
        {
            throw Truncated("WebP");
        }

        uint riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(4, 4));
        var chunk = data.Slice(12, 4);
        int width;
        int height;
        if (chunk.SequenceEqual("VP8 "u8))
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(26, 2)) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(28, 2)) & 0x3FFF;
        }
        else if (chunk.SequenceEqual("VP8L"u8))
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(21, 4));
            width = (int)(bits & 0x3FFF) + 1;
            height = (int)((bits >> 14) & 0x3FFF) + 1;
        }
        else if (chunk.SequenceEqual("VP8X"u8))
        {
            width = (data[24] | (data[25] << 8) | (data[26] << 16)) + 1;
            height = (data[27] | (data[28] << 8) | (data[29] << 16)) + 1;
        }
        else
        {
            throw new ImageDecodeException(ImageErrorKind.Corrupt, "Corrupt WebP: unknown first chunk.");
        }

        if (width == 0 || height == 0)
        {
            throw new ImageDecodeException(ImageErrorKind.Corrupt, $"Corrupt WebP: declared size {width}x{height}.");
        }

        return new ImageHeader(ImageFormat.WebP, width, height, (long)riffSize + 8 <= data.Length);
    }

    internal static ImageDecodeException Truncated(string format) =>
        new(ImageErrorKind.Corrupt, $"Corrupt {format}: the data ends early (truncated image).");
}
