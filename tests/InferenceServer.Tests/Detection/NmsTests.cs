using InferenceServer.Core.Detection;
using Det = InferenceServer.Core.Detection.Detection;

namespace InferenceServer.Tests.Detection;

public sealed class NmsTests
{
    [Fact]
    public void Apply_OverlappingSameClass_KeepsHighestScore()
    {
        var candidates = new List<Det>
        {
            new(0, 0, 10, 10, 0.6f, 0),
            new(1, 1, 11, 11, 0.9f, 0), // IoU with the first = 81/119 = 0.68
            new(50, 50, 60, 60, 0.5f, 0),
        };
        var kept = new List<Det>();
        Nms.Apply(candidates, 0.45f, 100, agnostic: false, kept);
        Assert.Equal(2, kept.Count);
        Assert.Equal(0.9f, kept[0].Score);
        Assert.Equal(0.5f, kept[1].Score);
    }

    [Fact]
    public void Apply_OverlappingDifferentClasses_KeepsBothUnlessAgnostic()
    {
        var candidates = new List<Det> { new(0, 0, 10, 10, 0.9f, 0), new(0, 0, 10, 10, 0.8f, 1) };
        var kept = new List<Det>();
        Nms.Apply([.. candidates], 0.45f, 100, agnostic: false, kept);
        Assert.Equal(2, kept.Count);

        kept.Clear();
        Nms.Apply([.. candidates], 0.45f, 100, agnostic: true, kept);
        Assert.Single(kept);
        Assert.Equal(0, kept[0].ClassId);
    }

    [Fact]
    public void Apply_IoUExactlyAtThreshold_IsKept()
    {
        // Two 10x10 boxes shifted by 5 px: IoU = 50 / 150 = 1/3.
        var candidates = new List<Det> { new(0, 0, 10, 10, 0.9f, 0), new(5, 0, 15, 10, 0.8f, 0) };
        var kept = new List<Det>();
        Nms.Apply(candidates, 1f / 3f, 100, agnostic: false, kept);
        Assert.Equal(2, kept.Count);
    }

    [Fact]
    public void Apply_MaxDetections_Truncates()
    {
        var candidates = Enumerable.Range(0, 50).Select(i => new Det(i * 20, 0, (i * 20) + 10, 10, i / 100f, 0)).ToList();
        var kept = new List<Det>();
        Nms.Apply(candidates, 0.45f, 5, agnostic: false, kept);
        Assert.Equal(5, kept.Count);
        Assert.Equal(0.49f, kept[0].Score);
    }
}
