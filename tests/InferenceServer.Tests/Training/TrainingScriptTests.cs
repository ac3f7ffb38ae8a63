using InferenceServer.Core.Detection;
using InferenceServer.Core.Inference;
using InferenceServer.Core.Training.Synthetic;
using InferenceServer.Tests.Fixtures;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace InferenceServer.Tests.Training;

/// <summary>The training code in models/training, run for a few iterations on a tiny generated dataset.</summary>
public sealed class TrainingScriptTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    [SkippableFact]
    public async Task Train_FewIterations_ExportsLoadableModelMatchingPyTorch()
    {
        Skip.If(PythonTraining.WhyUnavailable is not null, PythonTraining.WhyUnavailable);
        string data = Path.Combine(_dir.Path, "data");
        string output = Path.Combine(_dir.Path, "out");
        YoloDatasetWriter.Write(new SceneGenerator(new SceneOptions { Width = 320, Height = 180 }, 11), data, 12);

        var (code, log) = await PythonTraining.RunAsync(
            TimeSpan.FromMinutes(5), "--data", data, "--out", output, "--epochs", "1", "--batch", "4", "--max-iters", "3", "--imgsz", "160,256");
        Assert.True(code == 0, log);
        Assert.Contains("progress {\"epoch\": 1", log, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(output, "checkpoint.pt")));

        // Loads in the server's loader with the YOLOv8 decoder, labels and input size from the metadata alone.
        using var model = ModelLoader.Load(Path.Combine(output, "model.onnx"), null, TestLoading.CpuSettings(), "smoke", "1", NullLogger.Instance);
        Assert.Equal(DecoderKind.YoloV8, model.Postprocessor.Decoder.Kind);
        Assert.Equal(["circle", "square", "triangle"], model.Labels);
        Assert.True(model.Signature.DynamicBatch);
        Assert.Equal("images", model.Signature.InputName);
        Assert.Equal("output0", model.Signature.OutputName);
        Assert.Equal(256, model.Signature.InputWidth);
        Assert.Equal(160, model.Signature.InputHeight);
        int anchors = (20 * 32) + (10 * 16) + (5 * 8);
        Assert.Equal([1L, 7L, anchors], model.Signature.OutputShape);
        Assert.Equal("detect", model.Signature.Ultralytics.Task);
        Assert.Equal(32, model.Signature.Ultralytics.Stride);
        Assert.False(model.Signature.Ultralytics.End2End);

        AssertParity(output);
    }

    /// <summary>ONNX Runtime on the exported graph gives what PyTorch gave on the same fixed input.</summary>
    internal static void AssertParity(string directory)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, "parity.json")));
        int h = doc.RootElement.GetProperty("height").GetInt32();
        int w = doc.RootElement.GetProperty("width").GetInt32();
        var expected = ReadFloats(Path.Combine(directory, "parity_output.bin"));

        var input = new float[3 * h * w];
        for (int c = 0; c < 3; c++)
        {
            for (int y = 0; y < h; y++)
            {
                for (int x = 0; x < w; x++)
                {
                    double v = 0.5 + (0.5 * Math.Sin((0.05 * x * (c + 1)) + (0.07 * y)) * Math.Cos(0.03 * (x + y)));
                    input[(c * h * w) + (y * w) + x] = (float)v;
                }
            }
        }

        using var session = new InferenceSession(Path.Combine(directory, "model.onnx"));
        using var value = OrtValue.CreateTensorValueFromMemory(input, [1, 3, h, w]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["images"], [value], ["output0"]);
        var actual = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            // Boxes are in pixels (hundreds), scores in 0..1: compare relative to magnitude.
            float tolerance = 1e-3f * Math.Max(1f, Math.Abs(expected[i]));
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance, $"element {i}: ONNX Runtime {actual[i]} vs PyTorch {expected[i]}");
        }
    }

    private static float[] ReadFloats(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var floats = new float[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, floats, 0, bytes.Length);
        return floats;
    }

    public void Dispose() => _dir.Dispose();
}
