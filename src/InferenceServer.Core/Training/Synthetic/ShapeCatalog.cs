using OpenCvSharp;

namespace InferenceServer.Core.Training.Synthetic;

/// <summary>
/// The object categories the scene generator can draw. The default model knows <c>circle</c>, <c>square</c> and
/// <c>triangle</c>; <c>star</c> and <c>cross</c> are reserved for retraining.
/// </summary>
internal static class ShapeCatalog
{
    public static readonly string[] DefaultCategories = ["circle", "square", "triangle"];

    public static readonly string[] All = ["circle", "square", "triangle", "star", "cross"];

    public static bool IsKnown(string name) => Array.IndexOf(All, name) >= 0;

    /// <summary>Outline of a shape of circumradius <paramref name="radius"/> rotated by <paramref name="angle"/> radians.</summary>
    public static Point2d[] Outline(string shape, Point2d center, double radius, double angle)
    {
        return shape switch
        {
            "circle" => Regular(center, radius, 48, angle),
            "square" => Regular(center, radius, 4, angle + (Math.PI / 4)),
            "triangle" => Regular(center, radius, 3, angle - (Math.PI / 2)),
            "star" => Star(center, radius, angle - (Math.PI / 2)),
            "cross" => Cross(center, radius, angle),
            _ => throw new ArgumentException($"Unknown shape '{shape}'. Known: {string.Join(", ", All)}.", nameof(shape)),
        };
    }

    private static Point2d[] Regular(Point2d c, double r, int sides, double angle)
    {
        var pts = new Point2d[sides];
        for (int i = 0; i < sides; i++)
        {
            double a = angle + (2 * Math.PI * i / sides);
            pts[i] = new Point2d(c.X + (r * Math.Cos(a)), c.Y + (r * Math.Sin(a)));
        }

        return pts;
    }

    private static Point2d[] Star(Point2d c, double r, double angle)
    {
        var pts = new Point2d[10];
        for (int i = 0; i < 10; i++)
        {
            double rr = i % 2 == 0 ? r : r * 0.42;
            double a = angle + (Math.PI * i / 5);
            pts[i] = new Point2d(c.X + (rr * Math.Cos(a)), c.Y + (rr * Math.Sin(a)));
        }

        return pts;
    }

    private static Point2d[] Cross(Point2d c, double r, double angle)
    {
        // A plus sign: arms of half-width w reaching the circumradius.
        double w = r * 0.3;
        double l = Math.Sqrt((r * r) - (w * w));
        (double X, double Y)[] local =
        [
            (w, l), (w, w), (l, w), (l, -w), (w, -w), (w, -l),
            (-w, -l), (-w, -w), (-l, -w), (-l, w), (-w, w), (-w, l),
        ];
        double cos = Math.Cos(angle);
        double sin = Math.Sin(angle);
        return local.Select(p => new Point2d(c.X + (p.X * cos) - (p.Y * sin), c.Y + (p.X * sin) + (p.Y * cos))).ToArray();
    }
}
