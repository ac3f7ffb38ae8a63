using InferenceServer.Core.Imaging;

namespace InferenceServer.Core.Detection;

/// <summary>Decode → NMS → map back to original pixels, for one image's output.</summary>
internal sealed class Postprocessor
{
    private readonly IOutputDecoder _decoder;
    private readonly int _rows;
    private readonly int _columns;
    private readonly int _classCount;
    private readonly int _inputWidth;
    private readonly int _inputHeight;

    public Postprocessor(IOutputDecoder decoder, int rows, int columns, int classCount, int inputWidth, int inputHeight)
    {
        _decoder = decoder;
        _rows = rows;
        _columns = columns;
        _classCount = classCount;
        _inputWidth = inputWidth;
        _inputHeight = inputHeight;
    }

    public IOutputDecoder Decoder => _decoder;

    public int ClassCount => _classCount;

    /// <summary>Floats of output per image.</summary>
    public int OutputLength => _rows * _columns;

    /// <summary>Appends the final detections (original pixels) to <paramref name="results"/>.</summary>
    /// <param name="scratch">Reusable candidate list; cleared here.</param>
    public void Process(
        ReadOnlySpan<float> output, in LetterboxTransform transform, PostprocessOptions options, List<Detection> scratch, List<Detection> results)
    {
        scratch.Clear();
        var context = new DecodeContext(
            _rows, _columns, _classCount, _inputWidth, _inputHeight, options.ConfidenceThreshold, BuildFilter(options.ClassFilter));
        _decoder.Decode(output[..OutputLength], context, scratch);

        int first = results.Count;
        if (_decoder.NeedsNms)
        {
            Nms.Apply(scratch, options.IouThreshold, options.MaxDetections, options.Agnostic, results);
        }
        else
        {
            scratch.Sort(static (a, b) => b.Score.CompareTo(a.Score));
            for (int i = 0; i < scratch.Count && i < options.MaxDetections; i++)
            {
                results.Add(scratch[i]);
            }
        }

        for (int i = first; i < results.Count; i++)
        {
            var d = results[i];
            var (x1, y1, x2, y2) = transform.MapBack(d.X1, d.Y1, d.X2, d.Y2);
            results[i] = d with { X1 = x1, Y1 = y1, X2 = x2, Y2 = y2 };
        }
    }

    private bool[]? BuildFilter(IReadOnlySet<int>? classes)
    {
        if (classes is null)
        {
            return null;
        }

        // Small (nc entries) and only built when a request filters classes.
        var filter = new bool[_classCount];
        foreach (int c in classes)
        {
            if ((uint)c < (uint)filter.Length)
            {
                filter[c] = true;
            }
        }

        return filter;
    }
}
