using System.Diagnostics;
using InferenceServer.Core.Detection;
using InferenceServer.Core.Imaging;
using OpenCvSharp;

namespace InferenceServer.Core.Inference;

/// <summary>A loaded, warmed-up detection model: its instances, input convention, decoder and labels.</summary>
internal sealed class DetectionModel : IDisposable
{
    private readonly InstancePool _pool;

    public DetectionModel(
        string name,
        string version,
        ModelSignature signature,
        ExecutionProvider provider,
        IReadOnlyList<string> labels,
        PreprocessSpec preprocess,
        Postprocessor postprocessor,
        PostprocessOptions defaults,
        InstancePool pool)
    {
        Name = name;
        Version = version;
        Signature = signature;
        Provider = provider;
        Labels = labels;
        Preprocess = preprocess;
        Postprocessor = postprocessor;
        Defaults = defaults;
        _pool = pool;
    }

    public string Name { get; }

    public string Version { get; }

    public ModelSignature Signature { get; }

    public ExecutionProvider Provider { get; }

    public IReadOnlyList<string> Labels { get; }

    public PreprocessSpec Preprocess { get; }

    public Postprocessor Postprocessor { get; }

    /// <summary>Thresholds from the manifest, used when a request does not override them.</summary>
    public PostprocessOptions Defaults { get; }

    public InstancePool Instances => _pool;

    /// <summary>What auto-tuning measured and chose, when it ran.</summary>
    public TuningResult? Tuning { get; init; }

    public string Label(int classId) =>
        (uint)classId < (uint)Labels.Count ? Labels[classId] : $"class{classId}";

    /// <summary>Class id of a label, or -1.</summary>
    public int LabelIndex(string label)
    {
        for (int i = 0; i < Labels.Count; i++)
        {
            if (string.Equals(Labels[i], label, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Class id named by a request: a label, or a numeric class id of this model; -1 when neither.</summary>
    public int ResolveClass(string labelOrId)
    {
        int id = LabelIndex(labelOrId);
        if (id < 0 && int.TryParse(labelOrId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int parsed) && parsed < Labels.Count)
        {
            id = parsed;
        }

        return id;
    }

    /// <summary>Class ids for a class filter given as labels or ids; <paramref name="unknown"/> names the first that is neither.</summary>
    public HashSet<int>? ResolveClasses(IEnumerable<string> labelsOrIds, out string? unknown)
    {
        var ids = new HashSet<int>();
        foreach (string c in labelsOrIds)
        {
            int id = ResolveClass(c);
            if (id < 0)
            {
                unknown = c;
                return null;
            }

            ids.Add(id);
        }

        unknown = null;
        return ids;
    }

    /// <summary>Runs one frame on the first free instance, unbatched.</summary>
    public async Task<DetectionResult> DetectAsync(Mat bgr, PostprocessOptions options, double decodeMs, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        var instance = await _pool.RentAsync(cancellationToken).ConfigureAwait(false);
        long rented = Stopwatch.GetTimestamp();
        try
        {
            var transform = TensorPacker.Pack(bgr, Preprocess, Signature.InputWidth, Signature.InputHeight, instance.InputSlot(0), instance.Scratch);
            long packed = Stopwatch.GetTimestamp();
            instance.Run(1);
            long inferred = Stopwatch.GetTimestamp();

            var kept = instance.Kept;
            kept.Clear();
            Postprocessor.Process(instance.OutputSlot(0), transform, options, instance.Candidates, kept);
            var labeled = new LabeledDetection[kept.Count];
            for (int i = 0; i < kept.Count; i++)
            {
                var d = kept[i];
                labeled[i] = new LabeledDetection(Label(d.ClassId), d.ClassId, d.Score, d.X1, d.Y1, d.X2, d.Y2);
            }

            long done = Stopwatch.GetTimestamp();
            var timings = new StageTimings(
                Ms(start, rented), decodeMs, Ms(rented, packed), Ms(packed, inferred), Ms(inferred, done), decodeMs + Ms(start, done));
            return new DetectionResult(Name, Version, bgr.Width, bgr.Height, labeled, timings);
        }
        finally
        {
            _pool.Return(instance);
        }
    }

    /// <summary>Decodes an encoded image and detects on it.</summary>
    public async Task<DetectionResult> DetectAsync(ReadOnlyMemory<byte> encoded, ImageLimits limits, PostprocessOptions options, CancellationToken cancellationToken)
    {
        long start = Stopwatch.GetTimestamp();
        using var image = ImageDecoder.Decode(encoded.Span, limits);
        double decodeMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return await DetectAsync(image, options, decodeMs, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _pool.Dispose();

    private static double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
}
