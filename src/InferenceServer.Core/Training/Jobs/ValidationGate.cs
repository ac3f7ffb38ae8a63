using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Training.Datasets;

namespace InferenceServer.Core.Training.Jobs;

/// <summary>
/// Before anything serves: the candidate and the serving version are evaluated on the dataset version's held-out
/// split (never trained on) with the C# evaluator. Pass when every new category reaches MinNewAp and no existing
/// category loses more than MaxOldDrop AP@0.5.
/// </summary>
internal static class ValidationGate
{
    public static async Task<GateReport> EvaluateAsync(
        DetectionModel candidate, DetectionModel production, DatasetSnapshot snapshot, IReadOnlyCollection<string> newCategories,
        double minNewAp, double maxOldDrop, CancellationToken cancellationToken)
    {
        var holdout = snapshot.Holdout.ToList();
        var candidateAp = await EvaluateAsync(candidate, snapshot, holdout, cancellationToken).ConfigureAwait(false);
        var productionAp = await EvaluateAsync(production, snapshot, holdout, cancellationToken).ConfigureAwait(false);
        var instances = holdout.SelectMany(e => e.Boxes!).GroupBy(b => b.Label).ToDictionary(g => g.Key, g => g.Count());

        var classes = new SortedDictionary<string, ClassGate>(StringComparer.Ordinal);
        var reasons = new List<string>();
        foreach (var label in instances.Keys.Union(newCategories).Order(StringComparer.Ordinal))
        {
            int count = instances.GetValueOrDefault(label);
            double cand = candidateAp.GetValueOrDefault(label);
            double? prod = productionAp.TryGetValue(label, out var p) ? p : null;
            bool isNew = newCategories.Contains(label) || prod is null;
            bool passed;
            if (count == 0)
            {
                passed = false;
                reasons.Add($"'{label}': no held-out instances to validate it on (add more labelled examples).");
            }
            else if (isNew)
            {
                passed = cand >= minNewAp;
                if (!passed)
                {
                    reasons.Add($"'{label}': AP@0.5 {cand:F3} below {minNewAp:F2} on {count} held-out instances.");
                }
            }
            else
            {
                // On n held-out instances AP cannot resolve changes finer than about one instance (1/n): a smaller
                // drop is not a measured drop. With enough instances the configured tolerance applies.
                double allowed = Math.Max(maxOldDrop, 1.0 / count);
                passed = cand >= prod!.Value - allowed;
                if (!passed)
                {
                    reasons.Add($"'{label}': AP@0.5 dropped from {prod:F3} to {cand:F3} (more than {allowed:F3} on {count} held-out instances).");
                }
            }

            classes[label] = new ClassGate(isNew, count, Math.Round(cand, 4), prod is double v ? Math.Round(v, 4) : null, passed);
        }

        if (holdout.Count == 0)
        {
            reasons.Add("the dataset version has no held-out examples.");
        }

        return new GateReport
        {
            Passed = reasons.Count == 0,
            HoldoutImages = holdout.Count,
            MinNewAp = minNewAp,
            MaxOldDrop = maxOldDrop,
            ProductionVersion = production.Version,
            Classes = classes,
            Reasons = reasons,
        };
    }

    /// <summary>AP@0.5 per label the model knows (ground truth of labels it does not know is left out).</summary>
    private static async Task<Dictionary<string, double>> EvaluateAsync(
        DetectionModel model, DatasetSnapshot snapshot, IReadOnlyList<Example> examples, CancellationToken cancellationToken)
    {
        var options = SyntheticEvaluation.ApThresholds(model);
        var evaluator = new DetectionEvaluator();
        foreach (var e in examples)
        {
            byte[] image = await File.ReadAllBytesAsync(snapshot.PathOf(e), cancellationToken).ConfigureAwait(false);
            var result = await model.DetectAsync(image, ImageLimits.Default, options, cancellationToken).ConfigureAwait(false);
            evaluator.Add(
                result.Detections.Select(d => new Detection.Detection(d.X1, d.Y1, d.X2, d.Y2, d.Score, d.ClassId)),
                e.Boxes!.Select(b => (Box: b, Id: model.LabelIndex(b.Label))).Where(t => t.Id >= 0)
                    .Select(t => new GroundTruthBox(t.Box.X1, t.Box.Y1, t.Box.X2, t.Box.Y2, t.Id)));
        }

        return evaluator.Compute().PerClass
            .Where(c => c.GroundTruthCount > 0 && c.ClassId < model.Labels.Count)
            .ToDictionary(c => model.Labels[c.ClassId], c => c.Ap50);
    }
}
