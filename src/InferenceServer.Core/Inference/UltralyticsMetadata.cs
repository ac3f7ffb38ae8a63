using System.Globalization;
using System.Text.RegularExpressions;

namespace InferenceServer.Core.Inference;

/// <summary>The <c>metadata_props</c> Ultralytics writes into exported ONNX files.</summary>
internal sealed partial record UltralyticsMetadata(
    IReadOnlyList<string>? Names, int? ImageWidth, int? ImageHeight, int? Stride, string? Task, bool? End2End)
{
    public static UltralyticsMetadata Parse(IReadOnlyDictionary<string, string> props)
    {
        return new UltralyticsMetadata(
            props.TryGetValue("names", out var names) ? ParseNames(names) : null,
            ParseImgsz(props, 1),
            ParseImgsz(props, 0),
            props.TryGetValue("stride", out var stride) && int.TryParse(stride.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s : null,
            props.TryGetValue("task", out var task) ? task.Trim() : null,
            props.TryGetValue("end2end", out var e2e) ? ParseBool(e2e) : null);
    }

    /// <summary>Parses a Python dict literal such as <c>{0: 'person', 1: "bicycle"}</c>.</summary>
    public static IReadOnlyList<string>? ParseNames(string text)
    {
        var byIndex = new SortedDictionary<int, string>();
        foreach (Match m in NamePattern().Matches(text))
        {
            int index = int.Parse(m.Groups["i"].Value, CultureInfo.InvariantCulture);
            string value = m.Groups["s"].Success ? m.Groups["s"].Value : m.Groups["d"].Value;
            byIndex[index] = value.Replace("\\'", "'", StringComparison.Ordinal).Replace("\\\"", "\"", StringComparison.Ordinal);
        }

        if (byIndex.Count == 0 || byIndex.Keys.First() != 0 || byIndex.Keys.Last() != byIndex.Count - 1)
        {
            return null; // Not a dense 0..n-1 mapping: ignore rather than mislabel.
        }

        return byIndex.Values.ToArray();
    }

    private static int? ParseImgsz(IReadOnlyDictionary<string, string> props, int index)
    {
        if (!props.TryGetValue("imgsz", out var text))
        {
            return null;
        }

        var numbers = NumberPattern().Matches(text);
        if (numbers.Count == 0)
        {
            return null;
        }

        // "[640, 640]" is [height, width]; a single number is square.
        var m = numbers[Math.Min(index, numbers.Count - 1)];
        return int.Parse(m.Value, CultureInfo.InvariantCulture);
    }

    private static bool? ParseBool(string text) => text.Trim().ToLowerInvariant() switch
    {
        "true" or "1" => true,
        "false" or "0" => false,
        _ => null,
    };

    [GeneratedRegex(@"(?<i>\d+)\s*:\s*(?:'(?<s>(?:[^'\\]|\\.)*)'|""(?<d>(?:[^""\\]|\\.)*)"")")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"\d+")]
    private static partial Regex NumberPattern();
}
