using OpenCvSharp;

namespace InferenceServer.Tests.Fixtures;

/// <summary>Images drawn for tests: a black frame with one white rectangle at a known place.</summary>
internal static class TestImages
{
    /// <summary>Black <paramref name="width"/>×<paramref name="height"/> BGR image with a white box; returns its corners (x2,y2 exclusive).</summary>
    public static (Mat Image, float[] Box) WhiteBox(int width, int height, int x, int y, int w, int h)
    {
        var mat = new Mat(height, width, MatType.CV_8UC3, Scalar.All(0));
        Cv2.Rectangle(mat, new Rect(x, y, w, h), Scalar.All(255), -1);
        return (mat, [x, y, x + w, y + h]);
    }

    public static byte[] Encode(Mat image, string ext = ".png")
    {
        Cv2.ImEncode(ext, image, out var bytes);
        return bytes;
    }
}
