using System.Text.Json;
using InferenceServer.Client;
using OpenCvSharp;

namespace InferenceServer.Cli.Commands;

/// <summary><c>infer detect IMAGE [--server URL] [--model M] [--conf C] [--json] [--out annotated.jpg]</c></summary>
internal static class DetectCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? image = null;
        string server = Environment.GetEnvironmentVariable("INFERENCESERVER_URL") ?? "http://127.0.0.1:8000";
        string? model = null;
        string? outPath = null;
        float? conf = null;
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--server": server = Next(args, ref i); break;
                case "--model": model = Next(args, ref i); break;
                case "--out": outPath = Next(args, ref i); break;
                case "--conf": conf = float.Parse(Next(args, ref i), System.Globalization.CultureInfo.InvariantCulture); break;
                case "--json": json = true; break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal) || image is not null)
                    {
                        throw new UsageException($"unexpected argument '{args[i]}'");
                    }

                    image = args[i];
                    break;
            }
        }

        if (image is null)
        {
            throw new UsageException("detect needs an IMAGE path");
        }

        byte[] bytes = await File.ReadAllBytesAsync(image);
        using var client = new DetectionClient(new Uri(server));
        using var result = await client.DetectAsync(bytes, model, conf);
        var root = result.RootElement;
        if (json)
        {
            // Exactly one JSON object: model, version, detections.
            var output = new
            {
                model = root.GetProperty("model").GetString(),
                version = root.GetProperty("version").GetString(),
                detections = root.GetProperty("detections"),
            };
            Console.WriteLine(JsonSerializer.Serialize(output));
        }
        else
        {
            Console.WriteLine($"{root.GetProperty("model").GetString()} v{root.GetProperty("version").GetString()}: {root.GetProperty("detections").GetArrayLength()} detection(s) in {root.GetProperty("timings_ms").GetProperty("total").GetDouble():F1} ms");
            foreach (var d in root.GetProperty("detections").EnumerateArray())
            {
                var b = d.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray();
                Console.WriteLine($"  {d.GetProperty("label").GetString(),-12} {d.GetProperty("score").GetSingle():F2}  [{b[0]:F0}, {b[1]:F0}, {b[2]:F0}, {b[3]:F0}]");
            }
        }

        if (outPath is not null)
        {
            using var mat = Cv2.ImDecode(bytes, ImreadModes.Color);
            foreach (var d in root.GetProperty("detections").EnumerateArray())
            {
                var b = d.GetProperty("box").EnumerateArray().Select(v => (int)Math.Round(v.GetSingle())).ToArray();
                Cv2.Rectangle(mat, new Point(b[0], b[1]), new Point(b[2], b[3]), Scalar.LimeGreen, 2);
                Cv2.PutText(mat, $"{d.GetProperty("label").GetString()} {d.GetProperty("score").GetSingle():F2}", new Point(b[0], Math.Max(12, b[1] - 4)), HersheyFonts.HersheySimplex, 0.5, Scalar.LimeGreen, 1);
            }

            Cv2.ImWrite(outPath, mat);
        }

        return 0;
    }

    private static string Next(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new UsageException($"{args[i - 1]} needs a value");
}
