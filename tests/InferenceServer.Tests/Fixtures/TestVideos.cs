using System.Text.Json;
using InferenceServer.Core.Training.Synthetic;
using OpenCvSharp;

namespace InferenceServer.Tests.Fixtures;

/// <summary>A generated mp4 read back frame by frame as JPEG bytes, with its per-frame ground truth.</summary>
internal sealed class TestVideo
{
    private TestVideo(List<byte[]> frames, List<(string Label, float[] Box)[]> truth)
    {
        Frames = frames;
        Truth = truth;
    }

    public IReadOnlyList<byte[]> Frames { get; }

    public IReadOnlyList<(string Label, float[] Box)[]> Truth { get; }

    public static TestVideo Create(string directory, int width, int height, int frames, int seed, int objects = 4)
    {
        string path = Path.Combine(directory, $"video-{seed}-{width}x{height}.mp4");
        string truthPath = SyntheticVideoWriter.Write(path, new SceneOptions { Width = width, Height = height }, frames, 15, seed, objects);
        var jpegs = new List<byte[]>();
        using (var capture = new VideoCapture(path))
        {
            using var frame = new Mat();
            while (capture.Read(frame) && !frame.Empty())
            {
                Cv2.ImEncode(".jpg", frame, out var jpeg, new ImageEncodingParam(ImwriteFlags.JpegQuality, 90));
                jpegs.Add(jpeg);
            }
        }

        var truth = File.ReadAllLines(truthPath).Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.GetProperty("objects").EnumerateArray()
                .Select(o => (o.GetProperty("label").GetString()!, o.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()).ToArray()))
                .ToArray();
        }).ToList();
        return new TestVideo(jpegs, truth);
    }
}
