using InferenceServer.TestModels;

namespace InferenceServer.Tests.Fixtures;

/// <summary>Writes test models into a model-repository layout.</summary>
internal static class TestModelFiles
{
    public static readonly string[] ShapeNames = ["circle", "square", "triangle"];

    /// <summary>Writes &lt;repo&gt;/&lt;name&gt;/&lt;version&gt;/model.onnx (+ manifest when given) and returns the ONNX path.</summary>
    public static string WriteVersion(string repo, string name, string version, byte[] onnx, string? manifestJson = null, bool markReady = true)
    {
        string dir = Path.Combine(repo, name, version);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "model.onnx");
        File.WriteAllBytes(path, onnx);
        if (manifestJson is not null)
        {
            File.WriteAllText(Path.Combine(dir, "manifest.json"), manifestJson);
        }
        else if (markReady)
        {
            File.WriteAllText(Path.Combine(dir, "READY"), string.Empty); // complete now, no settle wait
        }

        return path;
    }

    /// <summary>The bright-box detector in YOLOv8 layout labelled with the three shape classes (it reports "square").</summary>
    public static byte[] ShapesYoloV8(int size = 320) =>
        BrightBoxModel.Build(OutputLayout.YoloV8, size, size, names: ShapeNames, classCount: 3, hitClass: 1);
}
