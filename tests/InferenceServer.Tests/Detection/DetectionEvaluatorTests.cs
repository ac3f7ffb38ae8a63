using InferenceServer.Core.Detection;
using Det = InferenceServer.Core.Detection.Detection;

namespace InferenceServer.Tests.Detection;

public sealed class DetectionEvaluatorTests
{
    [Fact]
    public void Compute_PerfectPredictions_GivesApOne()
    {
        var e = new DetectionEvaluator();
        e.Add([new Det(0, 0, 10, 10, 0.9f, 0)], [new GroundTruthBox(0, 0, 10, 10, 0)]);
        e.Add([new Det(5, 5, 25, 25, 0.8f, 1)], [new GroundTruthBox(5, 5, 25, 25, 1)]);
        var r = e.Compute();
        Assert.Equal(1.0, r.MeanAp50, 6);
        Assert.Equal(1.0, r.MeanAp50To95, 6);
    }

    [Fact]
    public void Compute_HalfRecall_GivesHandComputedAp()
    {
        // Two ground truths, one found with a perfect box: precision 1 up to recall 0.5, nothing after.
        // 101-point interpolation: recall points 0.00..0.50 (51 points) have precision 1 → AP = 51/101.
        var e = new DetectionEvaluator();
        e.Add([new Det(0, 0, 10, 10, 0.9f, 0)], [new GroundTruthBox(0, 0, 10, 10, 0), new GroundTruthBox(50, 50, 60, 60, 0)]);
        var r = e.Compute();
        Assert.Equal(51.0 / 101.0, r.MeanAp50, 6);
    }

    [Fact]
    public void Compute_FalsePositiveRankedFirst_GivesHandComputedAp()
    {
        // Ranking: FP (0.9), TP (0.8). One ground truth. Precision after each: 0, 0.5; recall: 0, 1.
        // Monotone envelope: 0.5 at every recall point → AP = 0.5.
        var e = new DetectionEvaluator();
        e.Add(
            [new Det(100, 100, 110, 110, 0.9f, 0), new Det(0, 0, 10, 10, 0.8f, 0)],
            [new GroundTruthBox(0, 0, 10, 10, 0)]);
        var r = e.Compute();
        Assert.Equal(0.5, r.MeanAp50, 6);
    }

    [Fact]
    public void Compute_ShiftedBox_CountsOnlyAtLowIoUThresholds()
    {
        // Prediction shifted by 2 px on a 10x10 box: IoU = 80 / 120 = 0.667 → TP for thresholds .50..0.65 (4 of 10).
        var e = new DetectionEvaluator();
        e.Add([new Det(2, 0, 12, 10, 0.9f, 0)], [new GroundTruthBox(0, 0, 10, 10, 0)]);
        var r = e.Compute();
        Assert.Equal(1.0, r.PerClass[0].Ap50, 6);
        Assert.Equal(0.4, r.PerClass[0].Ap50To95, 6);
    }

    [Fact]
    public void Compute_WrongClass_IsNotAMatch()
    {
        var e = new DetectionEvaluator();
        e.Add([new Det(0, 0, 10, 10, 0.9f, 1)], [new GroundTruthBox(0, 0, 10, 10, 0)]);
        var r = e.Compute();
        var class0 = Assert.Single(r.PerClass, c => c.ClassId == 0);
        Assert.Equal(0.0, class0.Ap50, 6);
        var class1 = Assert.Single(r.PerClass, c => c.ClassId == 1);
        Assert.True(double.IsNaN(class1.Ap50)); // no ground truth: excluded from the mean
        Assert.Equal(0.0, r.MeanAp50, 6);
    }

    [Fact]
    public void Compute_DuplicateDetection_SecondIsFalsePositive()
    {
        // Two predictions on one ground truth: TP then FP. Precision 1 at recall 1 already → AP = 1.
        var e = new DetectionEvaluator();
        e.Add([new Det(0, 0, 10, 10, 0.9f, 0), new Det(0, 0, 10, 10, 0.8f, 0)], [new GroundTruthBox(0, 0, 10, 10, 0)]);
        Assert.Equal(1.0, e.Compute().MeanAp50, 6);

        // Reversed ranking does not matter for identical boxes; but a FP scored above the only TP halves precision.
        var e2 = new DetectionEvaluator();
        e2.Add([new Det(0, 0, 10, 10, 0.9f, 0)], [new GroundTruthBox(0, 0, 10, 10, 0)]);
        e2.Add([new Det(0, 0, 10, 10, 0.95f, 0)], []);
        Assert.Equal(0.5, e2.Compute().MeanAp50, 6);
    }
}
