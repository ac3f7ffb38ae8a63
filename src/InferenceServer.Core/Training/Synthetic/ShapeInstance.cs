using OpenCvSharp;

namespace InferenceServer.Core.Training.Synthetic;

/// <summary>A shape at a place, size and angle; it can move (videos) and draw itself.</summary>
internal sealed class ShapeInstance
{
    public ShapeInstance(string label, double centerX, double centerY, double radius, double angle)
    {
        Label = label;
        CenterX = centerX;
        CenterY = centerY;
        Radius = radius;
        Angle = angle;
    }

    public string Label { get; }

    public double CenterX { get; set; }

    public double CenterY { get; set; }

    public double Radius { get; }

    public double Angle { get; set; }

    /// <summary>A shape whose extent is about <paramref name="size"/> px, entirely inside the frame.</summary>
    public static ShapeInstance Random(Random rng, string label, double size, int width, int height)
    {
        double r = size / 2;
        double cx = r + (rng.NextDouble() * Math.Max(1, width - (2 * r)));
        double cy = r + (rng.NextDouble() * Math.Max(1, height - (2 * r)));
        return new ShapeInstance(label, cx, cy, r, rng.NextDouble() * 2 * Math.PI);
    }

    public Point2d[] Outline() => ShapeCatalog.Outline(Label, new Point2d(CenterX, CenterY), Radius, Angle);

    /// <summary>Tight box of the outline clipped to the frame; x2/y2 exclusive.</summary>
    public (float X1, float Y1, float X2, float Y2) Box(int width, int height)
    {
        var pts = Outline();
        double x1 = pts.Min(p => p.X);
        double y1 = pts.Min(p => p.Y);
        double x2 = pts.Max(p => p.X);
        double y2 = pts.Max(p => p.Y);
        return ((float)Math.Clamp(x1, 0, width), (float)Math.Clamp(y1, 0, height), (float)Math.Clamp(x2, 0, width), (float)Math.Clamp(y2, 0, height));
    }

    public void Draw(Mat frame, Scalar color, Random rng)
    {
        // Sub-pixel precision (shift 4) keeps edges where the box says they are.
        const int Shift = 4;
        var pts = Outline().Select(p => new Point((int)Math.Round(p.X * 16), (int)Math.Round(p.Y * 16))).ToArray();
        Cv2.FillPoly(frame, [pts], color, LineTypes.AntiAlias, Shift);
        if (rng.NextDouble() < 0.25)
        {
            // Two-tone: an inner copy in a darker shade; it stays inside the outline, so the box is unchanged.
            var inner = ShapeCatalog.Outline(Label, new Point2d(CenterX, CenterY), Radius * 0.55, Angle)
                .Select(p => new Point((int)Math.Round(p.X * 16), (int)Math.Round(p.Y * 16))).ToArray();
            var shade = new Scalar(color.Val0 * 0.55, color.Val1 * 0.55, color.Val2 * 0.55);
            Cv2.FillPoly(frame, [inner], shade, LineTypes.AntiAlias, Shift);
        }
    }
}
