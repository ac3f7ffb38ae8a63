using OpenCvSharp;

namespace InferenceServer.Core.Training.Synthetic;

/// <summary>
/// Draws synthetic camera frames with labelled shapes: textured and cluttered backgrounds, random size (from
/// <see cref="SceneOptions.MinSize"/> px to half the frame), colour, rotation and position, partial overlap and
/// occlusion, lighting changes, blur, sensor noise and JPEG artefacts. Frame <c>i</c> of seed <c>s</c> is always the
/// same image, whatever the order or thread it is generated on.
/// </summary>
internal sealed class SceneGenerator
{
    private readonly SceneOptions _options;
    private readonly int _seed;

    public SceneGenerator(SceneOptions options, int seed)
    {
        if (options.Validate() is string error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        _options = options;
        _seed = seed;
    }

    public SceneOptions Options => _options;

    /// <summary>Generates frame <paramref name="index"/> as an encoded JPEG (its artefacts are part of the scene).</summary>
    public (byte[] Jpeg, IReadOnlyList<SceneObject> Objects) GenerateJpeg(int index)
    {
        var rng = new Random(Mix(_seed, index));
        using var frame = RenderBackground(rng, _options.Width, _options.Height);
        var objects = PlaceObjects(rng, frame);
        ApplyCamera(rng, frame, Mix(_seed, index) ^ 0x5bd1e995);
        int quality = _options.MinJpegQuality <= 0 ? 95 : rng.Next(_options.MinJpegQuality, _options.MaxJpegQuality + 1);
        Cv2.ImEncode(".jpg", frame, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, quality));
        return (jpeg, objects);
    }

    /// <summary>Generates frame <paramref name="index"/> as pixels (JPEG artefacts included).</summary>
    public (Mat Frame, IReadOnlyList<SceneObject> Objects) Generate(int index)
    {
        var (jpeg, objects) = GenerateJpeg(index);
        return (Cv2.ImDecode(jpeg, ImreadModes.Color), objects);
    }

    internal static int Mix(int seed, int index)
    {
        unchecked
        {
            uint h = (uint)seed * 0x9E3779B1u;
            h ^= (uint)index + 0x7F4A7C15u + (h << 6) + (h >> 2);
            h ^= h >> 16;
            h *= 0x85EBCA6Bu;
            h ^= h >> 13;
            return (int)(h & 0x7FFFFFFF);
        }
    }

    internal static Mat RenderBackground(Random rng, int width, int height)
    {
        // Smooth colour gradient: a 2x2 image of random corner colours, bilinearly enlarged.
        using var corners = new Mat(2, 2, MatType.CV_8UC3);
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 2; x++)
            {
                corners.Set(y, x, new Vec3b((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            }
        }

        var frame = new Mat();
        Cv2.Resize(corners, frame, new Size(width, height), 0, 0, InterpolationFlags.Linear);

        // Low-frequency texture blended in.
        int tw = Math.Max(2, width / rng.Next(8, 40));
        int th = Math.Max(2, height / rng.Next(8, 40));
        using var small = new Mat(th, tw, MatType.CV_8UC3);
        var bytes = new byte[tw * th * 3];
        rng.NextBytes(bytes);
        System.Runtime.InteropServices.Marshal.Copy(bytes, 0, small.Data, bytes.Length);
        using var texture = new Mat();
        Cv2.Resize(small, texture, new Size(width, height), 0, 0, InterpolationFlags.Cubic);
        double weight = 0.1 + (rng.NextDouble() * 0.4);
        Cv2.AddWeighted(frame, 1 - weight, texture, weight, 0, frame);

        // Clutter: lines, arcs and text strokes that are not objects.
        int clutter = rng.Next(0, 14);
        for (int i = 0; i < clutter; i++)
        {
            var color = new Scalar(rng.Next(256), rng.Next(256), rng.Next(256));
            var p1 = new Point(rng.Next(width), rng.Next(height));
            switch (rng.Next(3))
            {
                case 0:
                    Cv2.Line(frame, p1, new Point(rng.Next(width), rng.Next(height)), color, rng.Next(1, 4), LineTypes.AntiAlias);
                    break;
                case 1:
                    Cv2.Ellipse(frame, p1, new Size(rng.Next(10, width / 4), rng.Next(10, height / 4)), rng.Next(360), 0, rng.Next(30, 200), color, rng.Next(1, 3), LineTypes.AntiAlias);
                    break;
                default:
                    string text = new(Enumerable.Range(0, rng.Next(2, 8)).Select(_ => (char)('A' + rng.Next(26))).ToArray());
                    Cv2.PutText(frame, text, p1, HersheyFonts.HersheySimplex, 0.4 + (rng.NextDouble() * 1.2), color, rng.Next(1, 3), LineTypes.AntiAlias);
                    break;
            }
        }

        return frame;
    }

    private List<SceneObject> PlaceObjects(Random rng, Mat frame)
    {
        int width = frame.Width;
        int height = frame.Height;
        var placed = new List<SceneObject>();
        int count = rng.Next(_options.MinObjects, _options.MaxObjects + 1);
        double maxSize = height * _options.MaxSizeFraction;
        for (int n = 0; n < count; n++)
        {
            for (int attempt = 0; attempt < 30; attempt++)
            {
                int classId = rng.Next(_options.Categories.Count);
                string label = _options.Categories[classId];
                double size = _options.MinSize + (rng.NextDouble() * (maxSize - _options.MinSize));
                var shape = ShapeInstance.Random(rng, label, size, width, height);
                var box = shape.Box(width, height);
                if (placed.Any(p => Overlap(p, box) > 0.3))
                {
                    continue; // Partial occlusion only: a later object may hide at most 30% of an earlier one.
                }

                var color = PickColor(rng, frame, box);
                shape.Draw(frame, color, rng);
                placed.Add(new SceneObject(placed.Count, label, classId, box.X1, box.Y1, box.X2, box.Y2));
                break;
            }
        }

        return placed;
    }

    internal static Scalar PickColor(Random rng, Mat frame, (float X1, float Y1, float X2, float Y2) box)
    {
        var roi = new Rect((int)box.X1, (int)box.Y1, Math.Max(1, (int)(box.X2 - box.X1)), Math.Max(1, (int)(box.Y2 - box.Y1)));
        roi = roi.Intersect(new Rect(0, 0, frame.Width, frame.Height));
        using var region = new Mat(frame, roi);
        var mean = Cv2.Mean(region);
        Scalar best = default;
        double bestDistance = -1;
        for (int i = 0; i < 6; i++)
        {
            var c = new Scalar(rng.Next(256), rng.Next(256), rng.Next(256));
            double d = Math.Abs(c.Val0 - mean.Val0) + Math.Abs(c.Val1 - mean.Val1) + Math.Abs(c.Val2 - mean.Val2);
            if (d > bestDistance)
            {
                best = c;
                bestDistance = d;
            }

            if (d > 150)
            {
                break;
            }
        }

        return best;
    }

    internal static void ApplyCamera(Random rng, Mat frame, int noiseSeed)
    {
        // Global exposure and contrast.
        double alpha = 0.65 + (rng.NextDouble() * 0.7);
        double beta = -40 + (rng.NextDouble() * 80);
        frame.ConvertTo(frame, -1, alpha, beta);

        // Uneven lighting: a smooth multiplicative gradient.
        if (rng.NextDouble() < 0.35)
        {
            using var gain2 = new Mat(2, 2, MatType.CV_32FC1);
            for (int y = 0; y < 2; y++)
            {
                for (int x = 0; x < 2; x++)
                {
                    gain2.Set(y, x, (float)(0.6 + (rng.NextDouble() * 0.7)));
                }
            }

            using var gain = new Mat();
            Cv2.Resize(gain2, gain, frame.Size(), 0, 0, InterpolationFlags.Linear);
            using var gain3 = new Mat();
            Cv2.Merge([gain, gain, gain], gain3);
            using var f = new Mat();
            frame.ConvertTo(f, MatType.CV_32FC3);
            Cv2.Multiply(f, gain3, f);
            f.ConvertTo(frame, MatType.CV_8UC3);
        }

        if (rng.NextDouble() < 0.3)
        {
            double sigma = 0.6 + (rng.NextDouble() * 1.4);
            Cv2.GaussianBlur(frame, frame, new Size(0, 0), sigma);
        }

        ApplyNoiseOnly(rng, frame, noiseSeed);
    }

    /// <summary>Gaussian sensor noise of a random strength (0..10 levels).</summary>
    internal static void ApplyNoiseOnly(Random rng, Mat frame, int noiseSeed)
    {
        double noise = rng.NextDouble() * 10;
        if (noise > 1)
        {
            using var n = new Mat(frame.Size(), MatType.CV_16SC3);
            var cvRng = new RNG((ulong)noiseSeed + 1);
            cvRng.Fill(n, DistributionType.Normal, new Scalar(0, 0, 0), new Scalar(noise, noise, noise));
            using var f = new Mat();
            frame.ConvertTo(f, MatType.CV_16SC3);
            Cv2.Add(f, n, f);
            f.ConvertTo(frame, MatType.CV_8UC3);
        }
    }

    private static double Overlap(SceneObject a, (float X1, float Y1, float X2, float Y2) b)
    {
        float ix = Math.Min(a.X2, b.X2) - Math.Max(a.X1, b.X1);
        float iy = Math.Min(a.Y2, b.Y2) - Math.Max(a.Y1, b.Y1);
        if (ix <= 0 || iy <= 0)
        {
            return 0;
        }

        double areaA = (a.X2 - a.X1) * (a.Y2 - a.Y1);
        double areaB = (b.X2 - b.X1) * (b.Y2 - b.Y1);
        return ix * iy / Math.Max(1e-6, Math.Min(areaA, areaB));
    }
}
