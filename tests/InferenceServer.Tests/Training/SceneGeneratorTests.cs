using System.Text.Json;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.Tests.Fixtures;
using OpenCvSharp;

namespace InferenceServer.Tests.Training;

public sealed class SceneGeneratorTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [Fact]
    public void GenerateJpeg_SameSeedAndIndex_IsByteIdentical()
    {
        var options = new SceneOptions { Width = 320, Height = 180 };
        var a = new SceneGenerator(options, 42).GenerateJpeg(7);
        var b = new SceneGenerator(options, 42).GenerateJpeg(7);
        Assert.Equal(a.Jpeg, b.Jpeg);
        Assert.Equal(a.Objects, b.Objects);

        var other = new SceneGenerator(options, 43).GenerateJpeg(7);
        Assert.NotEqual(a.Jpeg, other.Jpeg);
    }

    [Fact]
    public void GenerateJpeg_ManyFrames_BoxesInsideFrameWithinSizeRangeAndKnownCategories()
    {
        var options = new SceneOptions { Width = 640, Height = 360, Categories = ShapeCatalog.All };
        var generator = new SceneGenerator(options, 1);
        var seen = new HashSet<string>();
        int objects = 0;
        for (int i = 0; i < 40; i++)
        {
            var (_, scene) = generator.GenerateJpeg(i);
            Assert.InRange(scene.Count, 1, 8);
            foreach (var o in scene)
            {
                objects++;
                seen.Add(o.Label);
                Assert.Equal(options.Categories[o.ClassId], o.Label);
                Assert.True(o.X1 >= 0 && o.Y1 >= 0 && o.X2 <= 640 && o.Y2 <= 360);
                float extent = Math.Max(o.X2 - o.X1, o.Y2 - o.Y1);
                Assert.InRange(extent, 12 * 0.5f, 360 * 0.5f + 1); // rotated outlines can be narrower than the size drawn
            }
        }

        Assert.Equal(ShapeCatalog.All.Length, seen.Count);
        Assert.True(objects > 100);
    }

    [Fact]
    public void GenerateJpeg_DrawnShape_IsWhereItsBoxSays()
    {
        // Inside each box the picture differs from the same scene without objects: compare against the box interior.
        var options = new SceneOptions { Width = 320, Height = 180, MinObjects = 1, MaxObjects = 1, MinJpegQuality = 95, MaxJpegQuality = 95 };
        var generator = new SceneGenerator(options, 5);
        for (int i = 0; i < 10; i++)
        {
            var (frame, scene) = generator.Generate(i);
            using (frame)
            {
                var o = Assert.Single(scene);
                var box = new Rect((int)o.X1, (int)o.Y1, Math.Max(1, (int)(o.X2 - o.X1)), Math.Max(1, (int)(o.Y2 - o.Y1)));
                using var inner = new Mat(frame, box);
                Cv2.MeanStdDev(inner, out _, out var std);
                Assert.True(std.Val0 + std.Val1 + std.Val2 > 0, "the box must contain image structure");
            }
        }
    }

    [Fact]
    public void YoloDatasetWriter_WritesImagesLabelsAndDataYaml()
    {
        var generator = new SceneGenerator(new SceneOptions { Width = 320, Height = 180 }, 9);
        int objects = YoloDatasetWriter.Write(generator, _dir.Path, 5);
        Assert.Equal(5, Directory.GetFiles(Path.Combine(_dir.Path, "images"), "*.jpg").Length);
        var labels = Directory.GetFiles(Path.Combine(_dir.Path, "labels"), "*.txt").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(5, labels.Length);
        var lines = labels.SelectMany(File.ReadAllLines).ToArray();
        Assert.Equal(objects, lines.Length);
        foreach (var line in lines)
        {
            var parts = line.Split(' ');
            Assert.Equal(5, parts.Length);
            Assert.InRange(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), 0, 2);
            foreach (var v in parts.Skip(1))
            {
                Assert.InRange(double.Parse(v, System.Globalization.CultureInfo.InvariantCulture), 0, 1);
            }
        }

        string yaml = File.ReadAllText(Path.Combine(_dir.Path, "data.yaml"));
        Assert.Contains("nc: 3", yaml, StringComparison.Ordinal);
        Assert.Contains("  2: triangle", yaml, StringComparison.Ordinal);
    }

    [Fact]
    public void SyntheticVideoWriter_WritesPlayableMp4AndSmoothGroundTruth()
    {
        string path = _dir.File("v.mp4");
        var options = new SceneOptions { Width = 320, Height = 180 };
        string truth = SyntheticVideoWriter.Write(path, options, frames: 30, fps: 15, seed: 3, objectCount: 4);

        using (var capture = new VideoCapture(path))
        {
            Assert.True(capture.IsOpened());
            int frames = 0;
            using var frame = new Mat();
            while (capture.Read(frame) && !frame.Empty())
            {
                Assert.Equal(320, frame.Width);
                frames++;
            }

            Assert.Equal(30, frames);
        }

        var lines = File.ReadAllLines(truth);
        Assert.Equal(30, lines.Length);
        float[]? previous = null;
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var objects = doc.RootElement.GetProperty("objects");
            Assert.Equal(4, objects.GetArrayLength());
            var box = objects[0].GetProperty("box").EnumerateArray().Select(e => e.GetSingle()).ToArray();
            if (previous is not null)
            {
                // Smooth motion: at most 180 px/s at 15 fps is 12 px per frame, plus rotation changing the outline.
                Assert.InRange(Math.Abs(box[0] - previous[0]), 0, 20);
            }

            previous = box;
        }
    }

    public void Dispose() => _dir.Dispose();
}
