using System.Globalization;
using System.Text;
using OpenCvSharp;

namespace InferenceServer.Core.Training.Datasets;

/// <summary>
/// The YOLO dataset layout (what Ultralytics and models/training read): images/, labels/ with one
/// `class cx cy w h` line per box (normalised), data.yaml with the class names.
/// </summary>
internal static class YoloFormat
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp"];

    /// <summary>Writes the examples with the given class order (names not in it are skipped); returns how many images.</summary>
    public static int Export(DatasetSnapshot snapshot, IEnumerable<Example> examples, IReadOnlyList<string> names, string directory)
    {
        string images = Path.Combine(directory, "images");
        string labels = Path.Combine(directory, "labels");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(labels);
        int count = 0;
        foreach (var e in examples)
        {
            File.Copy(snapshot.PathOf(e), Path.Combine(images, e.File), overwrite: true);
            var text = new StringBuilder();
            foreach (var b in e.Boxes!)
            {
                int cls = IndexOf(names, b.Label);
                if (cls < 0)
                {
                    continue;
                }

                text.Append(CultureInfo.InvariantCulture, $"{cls} {(b.X1 + b.X2) / 2 / e.Width:0.######} {(b.Y1 + b.Y2) / 2 / e.Height:0.######} {(b.X2 - b.X1) / e.Width:0.######} {(b.Y2 - b.Y1) / e.Height:0.######}\n");
            }

            File.WriteAllText(Path.Combine(labels, Path.ChangeExtension(e.File, ".txt")), text.ToString());
            count++;
        }

        var yaml = new StringBuilder("path: .\ntrain: images\nval: images\n");
        yaml.Append(CultureInfo.InvariantCulture, $"nc: {names.Count}\nnames:\n");
        for (int i = 0; i < names.Count; i++)
        {
            yaml.Append(CultureInfo.InvariantCulture, $"  {i}: {names[i]}\n");
        }

        File.WriteAllText(Path.Combine(directory, "data.yaml"), yaml.ToString());
        return count;
    }

    /// <summary>Reads a YOLO folder: class names from data.yaml (or classes.txt), every image with its label file.</summary>
    public static IEnumerable<ImportedExample> Import(string directory)
    {
        var names = ReadNames(directory);
        foreach (var image in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (!ImageExtensions.Contains(Path.GetExtension(image).ToLowerInvariant()))
            {
                continue;
            }

            string relative = Path.GetRelativePath(directory, image);
            string labelPath = LabelPathFor(directory, relative);
            byte[] bytes = File.ReadAllBytes(image);
            var (boxes, error) = ReadLabels(labelPath, bytes, names);
            yield return new ImportedExample(relative, bytes, boxes, error);
        }
    }

    private static (IReadOnlyList<LabeledBox> Boxes, string? Error) ReadLabels(string labelPath, byte[] image, IReadOnlyList<string> names)
    {
        if (!File.Exists(labelPath))
        {
            return ([], null); // An image without a label file is a background image (no objects).
        }

        int width;
        int height;
        try
        {
            using var mat = Cv2.ImDecode(image, ImreadModes.Unchanged);
            if (mat.Empty())
            {
                return ([], "image does not decode");
            }

            (width, height) = (mat.Width, mat.Height);
        }
        catch (OpenCVException ex)
        {
            return ([], $"image does not decode: {ex.Message}");
        }

        var boxes = new List<LabeledBox>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(labelPath))
        {
            lineNumber++;
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 0)
            {
                continue;
            }

            if (parts.Length < 5 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int cls)
                || !TryFloats(parts.AsSpan(1, 4), out var v))
            {
                return ([], $"{Path.GetFileName(labelPath)}:{lineNumber}: expected 'class cx cy w h'");
            }

            if (cls >= names.Count)
            {
                return ([], $"{Path.GetFileName(labelPath)}:{lineNumber}: class {cls} has no name in data.yaml");
            }

            boxes.Add(new LabeledBox(
                names[cls],
                (v[0] - (v[2] / 2)) * width,
                (v[1] - (v[3] / 2)) * height,
                (v[0] + (v[2] / 2)) * width,
                (v[1] + (v[3] / 2)) * height));
        }

        return (boxes, null);
    }

    private static bool TryFloats(ReadOnlySpan<string> parts, out float[] values)
    {
        values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]))
            {
                return false;
            }
        }

        return true;
    }

    private static string LabelPathFor(string directory, string relativeImage)
    {
        // images/a/b.jpg -> labels/a/b.txt (the Ultralytics rule); otherwise a .txt beside the image.
        var parts = relativeImage.Split(Path.DirectorySeparatorChar);
        int at = Array.LastIndexOf(parts, "images");
        if (at >= 0)
        {
            parts[at] = "labels";
        }

        return Path.ChangeExtension(Path.Combine(directory, Path.Combine(parts)), ".txt");
    }

    private static IReadOnlyList<string> ReadNames(string directory)
    {
        string yaml = Path.Combine(directory, "data.yaml");
        if (File.Exists(yaml))
        {
            var names = new SortedDictionary<int, string>();
            bool inNames = false;
            foreach (var raw in File.ReadLines(yaml))
            {
                string line = raw.TrimEnd();
                if (line.StartsWith("names:", StringComparison.Ordinal))
                {
                    string rest = line["names:".Length..].Trim();
                    if (rest.StartsWith('['))
                    {
                        return rest.Trim('[', ']').Split(',').Select(n => n.Trim().Trim('\'', '"')).Where(n => n.Length > 0).ToArray();
                    }

                    inNames = true;
                    continue;
                }

                if (inNames)
                {
                    string t = line.Trim();
                    if (!line.StartsWith(' ') || t.Length == 0)
                    {
                        if (t.Length == 0)
                        {
                            continue;
                        }

                        break;
                    }

                    if (t.StartsWith("- ", StringComparison.Ordinal))
                    {
                        names[names.Count] = t[2..].Trim().Trim('\'', '"');
                    }
                    else if (t.IndexOf(':', StringComparison.Ordinal) is int colon and > 0
                        && int.TryParse(t[..colon], NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                    {
                        names[id] = t[(colon + 1)..].Trim().Trim('\'', '"');
                    }
                }
            }

            if (names.Count > 0)
            {
                return names.Values.ToArray();
            }
        }

        string classes = Path.Combine(directory, "classes.txt");
        if (File.Exists(classes))
        {
            return File.ReadAllLines(classes).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        }

        throw new DatasetException("YOLO import: no class names (data.yaml with names:, or classes.txt).");
    }

    private static int IndexOf(IReadOnlyList<string> names, string label)
    {
        for (int i = 0; i < names.Count; i++)
        {
            if (names[i] == label)
            {
                return i;
            }
        }

        return -1;
    }
}
