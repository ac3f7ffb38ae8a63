using System.Text.RegularExpressions;
using InferenceServer.Core.Imaging;

namespace InferenceServer.Core.Training.Datasets;

/// <summary>Checks an uploaded example before anything is stored: the image decodes, every box is sane.</summary>
internal static partial class ExampleValidator
{
    public const int MaxBoxes = 500;

    /// <summary>Category names: what YOLO/COCO files, label maps and the API can carry without quoting trouble.</summary>
    public static bool IsValidCategory(string? name) => name is not null && CategoryPattern().IsMatch(name);

    /// <summary>Decodes the image (size, format) or throws <see cref="DatasetException"/> with the reason.</summary>
    public static (int Width, int Height, string Extension) CheckImage(ReadOnlySpan<byte> bytes, ImageLimits limits)
    {
        if (bytes.Length == 0)
        {
            throw new DatasetException("image: empty.");
        }

        try
        {
            using var mat = ImageDecoder.Decode(bytes, limits);
            var header = ImageHeaderReader.Read(bytes);
            string extension = header.Format switch
            {
                ImageFormat.Png => ".png",
                ImageFormat.Bmp => ".bmp",
                ImageFormat.WebP => ".webp",
                _ => ".jpg",
            };
            return (mat.Width, mat.Height, extension);
        }
        catch (ImageDecodeException ex)
        {
            throw new DatasetException($"image: {ex.Message}");
        }
    }

    /// <summary>Throws <see cref="DatasetException"/> naming the first bad box.</summary>
    public static void CheckBoxes(IReadOnlyList<LabeledBox> boxes, int width, int height)
    {
        if (boxes.Count > MaxBoxes)
        {
            throw new DatasetException($"boxes: at most {MaxBoxes} per image (got {boxes.Count}).");
        }

        for (int i = 0; i < boxes.Count; i++)
        {
            var b = boxes[i];
            if (!IsValidCategory(b.Label))
            {
                throw new DatasetException($"boxes[{i}].label '{b.Label}' is not a valid category name (letters, digits, '_' or '-', starting with a letter or digit, at most 48).");
            }

            if (!(float.IsFinite(b.X1) && float.IsFinite(b.Y1) && float.IsFinite(b.X2) && float.IsFinite(b.Y2)))
            {
                throw new DatasetException($"boxes[{i}]: coordinates must be finite numbers.");
            }

            if (b.X1 < 0 || b.Y1 < 0 || b.X2 > width || b.Y2 > height)
            {
                throw new DatasetException($"boxes[{i}] [{b.X1}, {b.Y1}, {b.X2}, {b.Y2}] is outside the {width}x{height} image.");
            }

            if (b.X2 - b.X1 < 2 || b.Y2 - b.Y1 < 2)
            {
                throw new DatasetException($"boxes[{i}] [{b.X1}, {b.Y1}, {b.X2}, {b.Y2}] is degenerate (each side must be at least 2 px, x2 > x1, y2 > y1).");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$")]
    private static partial Regex CategoryPattern();
}
