using InferenceServer.Core.Imaging;

namespace InferenceServer.Tests.Imaging;

public sealed class LetterboxTransformTests
{
    [Fact]
    public void Create_UltralyticsPortrait_MatchesLetterBoxReference()
    {
        // Ultralytics LetterBox on bus.jpg (810x1080 → 640x640): r = 0.5926, new_unpad = (480, 640), left = 80, top = 0.
        var t = LetterboxTransform.Create(ResizeMode.LetterboxCenter, 810, 1080, 640, 640);
        Assert.Equal(480, t.ResizedWidth);
        Assert.Equal(640, t.ResizedHeight);
        Assert.Equal(80, t.OffsetX);
        Assert.Equal(0, t.OffsetY);
    }

    [Fact]
    public void Create_UltralyticsOddPadding_BiasesLikePython()
    {
        // 1280x721 → 640: new (640, 360.5→360 banker's), dh = 140 → top = round(139.9) = 140.
        var t = LetterboxTransform.Create(ResizeMode.LetterboxCenter, 1280, 721, 640, 640);
        Assert.Equal(640, t.ResizedWidth);
        Assert.Equal(360, t.ResizedHeight);
        Assert.Equal(140, t.OffsetY);
    }

    [Fact]
    public void Create_YoloxTopLeft_TruncatesAndDoesNotPadOrigin()
    {
        var t = LetterboxTransform.Create(ResizeMode.LetterboxTopLeft, 810, 1080, 416, 416);
        Assert.Equal(0, t.OffsetX);
        Assert.Equal(0, t.OffsetY);
        Assert.Equal(312, t.ResizedWidth); // int(810 * 0.38518) = 312
        Assert.Equal(416, t.ResizedHeight);
    }

    [Theory]
    [InlineData(ResizeMode.LetterboxCenter)]
    [InlineData(ResizeMode.LetterboxTopLeft)]
    [InlineData(ResizeMode.Stretch)]
    public void MapBack_AfterMapForward_ReturnsOriginalBox(ResizeMode mode)
    {
        var t = LetterboxTransform.Create(mode, 1001, 333, 640, 480);
        var (x1, y1, x2, y2) = t.MapForward(10, 20, 900, 300);
        var back = t.MapBack(x1, y1, x2, y2);
        Assert.Equal(10, back.X1, 3);
        Assert.Equal(20, back.Y1, 3);
        Assert.Equal(900, back.X2, 3);
        Assert.Equal(300, back.Y2, 3);
    }

    [Fact]
    public void MapBack_BoxInPadding_IsClippedToFrame()
    {
        var t = LetterboxTransform.Create(ResizeMode.LetterboxCenter, 810, 1080, 640, 640);
        var (x1, _, x2, _) = t.MapBack(0, 0, 639, 10);
        Assert.Equal(0, x1);
        Assert.Equal(810, x2);
    }
}
