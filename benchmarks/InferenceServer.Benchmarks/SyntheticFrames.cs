using OpenCvSharp;

namespace InferenceServer.Benchmarks;

/// <summary>Deterministic camera-like frames (gradients, shapes, noise) so JPEG sizes are realistic.</summary>
internal static class SyntheticFrames
{
    public static Mat Create(int width, int height, int seed = 7)
    {
        var rng = new Random(seed);
        var mat = new Mat(height, width, MatType.CV_8UC3);
        Cv2.Randu(mat, Scalar.All(0), Scalar.All(255));
        Cv2.GaussianBlur(mat, mat, new Size(0, 0), 3);
        for (int i = 0; i < 40; i++)
        {
            var color = new Scalar(rng.Next(256), rng.Next(256), rng.Next(256));
            var center = new Point(rng.Next(width), rng.Next(height));
            if (i % 2 == 0)
            {
                Cv2.Circle(mat, center, rng.Next(10, height / 6), color, -1);
            }
            else
            {
                Cv2.Rectangle(mat, new Rect(center.X, center.Y, rng.Next(10, width / 6), rng.Next(10, height / 6)), color, -1);
            }
        }

        return mat;
    }

    public static byte[] Jpeg(int width, int height)
    {
        using var mat = Create(width, height);
        Cv2.ImEncode(".jpg", mat, out var bytes, new ImageEncodingParam(ImwriteFlags.JpegQuality, 90));
        return bytes;
    }
}
