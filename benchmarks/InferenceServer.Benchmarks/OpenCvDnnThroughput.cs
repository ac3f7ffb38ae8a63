using System.Diagnostics;
using System.Text.Json;
using OpenCvSharp;
using OpenCvSharp.Dnn;

namespace InferenceServer.Benchmarks;

/// <summary>
/// Baseline (c): OpenCV's DNN module running the same ONNX in-process on an already-packed blob:
/// <c>InferenceServer.Benchmarks opencv-dnn MODEL.onnx WIDTH HEIGHT [--seconds 4] [--json FILE]</c>.
/// Reports why when OpenCV cannot load the model.
/// </summary>
internal static class OpenCvDnnThroughput
{
    public static int Run(string[] args)
    {
        string path = args[0];
        int width = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        int height = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        double seconds = 4;
        string? json = null;
        for (int i = 3; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--seconds": seconds = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--json": json = args[++i]; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        object report;
        try
        {
            using var net = CvDnn.ReadNetFromOnnx(path) ?? throw new InvalidOperationException("ReadNetFromOnnx returned null");
            net.SetPreferableBackend(Backend.OPENCV);
            net.SetPreferableTarget(Target.CPU);
            using var blob = new Mat([1, 3, height, width], MatType.CV_32F, Scalar.All(0.45));
            net.SetInput(blob);
            using (net.Forward())
            {
            }

            int runs = 0;
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                net.SetInput(blob);
                using var output = net.Forward();
                runs++;
            }

            double fps = runs / sw.Elapsed.TotalSeconds;
            Console.WriteLine($"OpenCV DNN: {fps:F1} frames/s ({1000 / fps:F2} ms per frame, {Cv2.GetNumThreads()} threads)");
            report = new { model = path, loaded = true, frames_per_second = Math.Round(fps, 1), threads = Cv2.GetNumThreads() };
        }
        catch (Exception ex) when (ex is OpenCVException or OpenCvSharpException or InvalidOperationException)
        {
            string reason = ex.Message.Split('\n')[0];
            Console.WriteLine($"OpenCV DNN cannot run {path}: {reason}");
            report = new { model = path, loaded = false, reason };
        }

        if (json is not null)
        {
            File.WriteAllText(json, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }));
        }

        return 0;
    }
}
