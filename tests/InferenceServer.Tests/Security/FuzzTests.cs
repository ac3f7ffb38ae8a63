using System.Diagnostics;
using System.Text;
using System.Text.Json;
using InferenceServer.Core.Imaging;
using InferenceServer.Endpoints;
using InferenceServer.TestModels;
using InferenceServer.Tests.Fixtures;
using OpenCvSharp;
using Xunit.Abstractions;

namespace InferenceServer.Tests.Security;

/// <summary>
/// Time-boxed, seeded fuzzing of the two parsers that take untrusted bytes: the image decoder (header checks and
/// OpenCV) and the KServe JSON request parser. Each asserts that only the documented error escapes and that
/// memory does not grow without bound. FUZZ_SECONDS (default 90) sets the budget of each. They run alone
/// (serial collection): the memory they check is the whole process's.
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class FuzzTests : IDisposable
{
    private static readonly double Budget = double.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out var s) ? s : 90;
    private readonly ITestOutputHelper _output;
    private readonly TempDirectory _dir = new();

    public FuzzTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void ImageDecoder_MutatedImages_OnlyTypedErrorsAndBoundedMemory()
    {
        var rng = new Random(20261126);
        var seeds = new List<byte[]>();
        using (var image = new Mat(97, 131, MatType.CV_8UC3))
        {
            Cv2.Randu(image, Scalar.All(0), Scalar.All(255));
            foreach (var ext in new[] { ".jpg", ".png", ".bmp", ".webp" })
            {
                seeds.Add(TestImages.Encode(image, ext));
            }
        }

        var limits = new ImageLimits { MaxPixels = 4_000_000 };
        long baseline = 0;
        int cases = 0, decoded = 0, rejected = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < Budget)
        {
            var input = Mutate(seeds[rng.Next(seeds.Count)], rng);
            try
            {
                using var mat = ImageDecoder.Decode(input, limits);
                Assert.False(mat.Empty());
                decoded++;
            }
            catch (ImageDecodeException)
            {
                rejected++;
            }

            if (++cases == 500)
            {
                baseline = ProcessMemory.RssBytes();
            }
        }

        GC.Collect();
        long growth = ProcessMemory.RssBytes() - baseline;
        _output.WriteLine($"{cases} cases in {sw.Elapsed.TotalSeconds:F0} s: {decoded} decoded, {rejected} rejected; RSS growth after warm-up {growth / 1e6:F1} MB");
        Assert.True(cases > 1000);
        Assert.True(growth < 200_000_000, $"memory grew by {growth / 1e6:F1} MB");
    }

    [Fact]
    public void KServeJsonParser_MutatedRequests_OnlyErrorsAndBoundedMemory()
    {
        string path = _dir.File("m.onnx");
        File.WriteAllBytes(path, BrightBoxModel.Build(OutputLayout.YoloV8, 8, 8, names: ["a", "b"]));
        using var model = Core.Inference.ModelLoader.Load(path, null, TestLoading.CpuSettings(), "fuzz", "1", Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var rng = new Random(42);
        string valid = JsonSerializer.Serialize(new
        {
            id = "x",
            inputs = new[] { new { name = "images", shape = new[] { 1, 3, 8, 8 }, datatype = "FP32", data = Enumerable.Range(0, 192).Select(i => i / 192f).ToArray() } },
            outputs = new[] { new { name = "output0" } },
        });
        long baseline = 0;
        int cases = 0, accepted = 0, errors = 0, invalidJson = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < Budget)
        {
            string text = MutateJson(valid, rng);
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(text);
            }
            catch (JsonException)
            {
                invalidJson++; // the endpoint answers 400 before its parser runs
                continue;
            }

            using (doc)
            {
                var (request, error) = KServeEndpoints.Parse(doc.RootElement, model);
                if (request is null)
                {
                    Assert.False(string.IsNullOrEmpty(error));
                    errors++;
                }
                else
                {
                    Assert.Equal(request.Value.Batch * model.Signature.InputLength, request.Value.Data.Length);
                    accepted++;
                }
            }

            if (++cases == 500)
            {
                baseline = ProcessMemory.RssBytes();
            }
        }

        GC.Collect();
        long growth = ProcessMemory.RssBytes() - baseline;
        _output.WriteLine($"{cases} parsed cases ({invalidJson} not JSON) in {sw.Elapsed.TotalSeconds:F0} s: {accepted} accepted, {errors} rejected; RSS growth {growth / 1e6:F1} MB");
        Assert.True(cases > 1000);
        Assert.True(accepted > 0 && errors > 0);
        Assert.True(growth < 200_000_000);
    }

    public void Dispose() => _dir.Dispose();

    private static byte[] Mutate(byte[] seed, Random rng)
    {
        var data = seed.ToList();
        int edits = rng.Next(1, 8);
        for (int e = 0; e < edits && data.Count > 0; e++)
        {
            int pos = rng.Next(data.Count);
            switch (rng.Next(6))
            {
                case 0: data[pos] = (byte)rng.Next(256); break;
                case 1: data.RemoveRange(pos, Math.Min(rng.Next(1, 64), data.Count - pos)); break;
                case 2: data.InsertRange(pos, Enumerable.Range(0, rng.Next(1, 32)).Select(_ => (byte)rng.Next(256))); break;
                case 3: data.RemoveRange(pos, data.Count - pos); break; // truncate
                case 4: data[Math.Min(pos, Math.Min(data.Count - 1, 30))] ^= (byte)(1 << rng.Next(8)); break; // header bits
                default: data[pos] = 0xFF; break;
            }
        }

        return [.. data];
    }

    private static string MutateJson(string valid, Random rng)
    {
        string[] fragments = ["null", "-1", "1e308", "\"FP32\"", "\"images\"", "[]", "{}", "[1,3,8,8]", "[[[[1]]]]", "true", "\"\\u0000\"", "9999999999999", "[0,3,8,8]", "[64,3,8,8]"];
        var sb = new StringBuilder(valid);
        int edits = rng.Next(1, 5);
        for (int e = 0; e < edits; e++)
        {
            int pos = rng.Next(sb.Length);
            switch (rng.Next(4))
            {
                case 0: sb.Insert(pos, fragments[rng.Next(fragments.Length)]); break;
                case 1: sb.Remove(pos, Math.Min(rng.Next(1, 20), sb.Length - pos)); break;
                case 2: sb[pos] = (char)rng.Next(32, 127); break;
                default:
                    string text = sb.ToString();
                    foreach (var key in new[] { "\"shape\"", "\"datatype\"", "\"name\"", "\"data\"", "\"inputs\"" })
                    {
                        int at = text.IndexOf(key, StringComparison.Ordinal);
                        if (at >= 0 && rng.Next(3) == 0)
                        {
                            int colon = text.IndexOf(':', at);
                            sb.Insert(colon + 1, fragments[rng.Next(fragments.Length)] + ",\"x\":");
                            break;
                        }
                    }

                    break;
            }
        }

        return sb.ToString();
    }

}
