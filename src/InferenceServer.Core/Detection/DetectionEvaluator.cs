namespace InferenceServer.Core.Detection;

/// <summary>
/// COCO-style average precision: per IoU threshold (0.50:0.05:0.95), predictions sorted by score are greedily
/// matched to the unmatched ground truth of the same class with the highest IoU; precision is made monotone and
/// sampled at 101 recall points. Classes without ground truth are left out of the mean.
/// </summary>
internal sealed class DetectionEvaluator
{
    private static readonly double[] Thresholds = [.50, .55, .60, .65, .70, .75, .80, .85, .90, .95];

    private readonly List<(Detection[] Predictions, GroundTruthBox[] Truths)> _images = [];

    public int ImageCount => _images.Count;

    public void Add(IEnumerable<Detection> predictions, IEnumerable<GroundTruthBox> truths) =>
        _images.Add((predictions.ToArray(), truths.ToArray()));

    public EvaluationResult Compute()
    {
        var classIds = new SortedSet<int>();
        foreach (var (predictions, truths) in _images)
        {
            foreach (var p in predictions)
            {
                classIds.Add(p.ClassId);
            }

            foreach (var t in truths)
            {
                classIds.Add(t.ClassId);
            }
        }

        var perClass = new List<ClassAp>();
        foreach (int cls in classIds)
        {
            int gtCount = 0;
            int predCount = 0;
            foreach (var (predictions, truths) in _images)
            {
                gtCount += truths.Count(t => t.ClassId == cls);
                predCount += predictions.Count(p => p.ClassId == cls);
            }

            if (gtCount == 0)
            {
                perClass.Add(new ClassAp(cls, 0, predCount, double.NaN, double.NaN));
                continue;
            }

            double sum = 0;
            double ap50 = 0;
            foreach (double threshold in Thresholds)
            {
                double ap = AveragePrecision(cls, threshold, gtCount);
                sum += ap;
                if (threshold == .50)
                {
                    ap50 = ap;
                }
            }

            perClass.Add(new ClassAp(cls, gtCount, predCount, ap50, sum / Thresholds.Length));
        }

        var scored = perClass.Where(c => c.GroundTruthCount > 0).ToList();
        double mean50 = scored.Count == 0 ? 0 : scored.Average(c => c.Ap50);
        double mean = scored.Count == 0 ? 0 : scored.Average(c => c.Ap50To95);
        return new EvaluationResult(perClass, mean50, mean, _images.Count);
    }

    private double AveragePrecision(int cls, double iouThreshold, int gtCount)
    {
        // (score, image, detection) for every prediction of this class, best first; stable for equal scores.
        var predictions = new List<(float Score, int Image, Detection Box)>();
        for (int i = 0; i < _images.Count; i++)
        {
            foreach (var p in _images[i].Predictions)
            {
                if (p.ClassId == cls)
                {
                    predictions.Add((p.Score, i, p));
                }
            }
        }

        var ordered = predictions.OrderByDescending(p => p.Score).ToList();
        var matched = new Dictionary<int, bool[]>();
        var truePositive = new bool[ordered.Count];
        for (int k = 0; k < ordered.Count; k++)
        {
            var (_, image, box) = ordered[k];
            var truths = _images[image].Truths;
            if (!matched.TryGetValue(image, out var used))
            {
                used = new bool[truths.Length];
                matched[image] = used;
            }

            int best = -1;
            double bestIou = iouThreshold;
            for (int g = 0; g < truths.Length; g++)
            {
                if (used[g] || truths[g].ClassId != cls)
                {
                    continue;
                }

                double iou = Detection.IoU(box, truths[g].AsDetection());
                if (iou >= bestIou)
                {
                    bestIou = iou;
                    best = g;
                }
            }

            if (best >= 0)
            {
                used[best] = true;
                truePositive[k] = true;
            }
        }

        int n = ordered.Count;
        var precision = new double[n];
        var recall = new double[n];
        int tp = 0;
        for (int k = 0; k < n; k++)
        {
            if (truePositive[k])
            {
                tp++;
            }

            precision[k] = (double)tp / (k + 1);
            recall[k] = (double)tp / gtCount;
        }

        for (int k = n - 2; k >= 0; k--)
        {
            precision[k] = Math.Max(precision[k], precision[k + 1]);
        }

        double total = 0;
        int idx = 0;
        for (int r = 0; r <= 100; r++)
        {
            double target = r / 100.0;
            while (idx < n && recall[idx] < target - 1e-12)
            {
                idx++;
            }

            if (idx < n)
            {
                total += precision[idx];
            }
        }

        return total / 101;
    }
}
