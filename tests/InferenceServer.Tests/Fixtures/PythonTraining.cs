using System.Diagnostics;

namespace InferenceServer.Tests.Fixtures;

/// <summary>Runs the project's training code with Debian's python3 (python3-torch, python3-onnx, python3-opencv).</summary>
internal static class PythonTraining
{
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> Missing = new(Probe);

    /// <summary>Null when training can run here, else why not.</summary>
    public static string? WhyUnavailable => Missing.Value;

    public static string Script => Path.Combine(RepoPaths.Root, "models", "training", "train.py");

    public static async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var (code, stdout, stderr) = await ProcessRunner.RunAsync(Python, [Script, .. args], timeout);
        return (code, stdout + stderr);
    }

    private static string? Probe()
    {
        if (!File.Exists(Python))
        {
            return $"{Python} is not installed";
        }

        var psi = new ProcessStartInfo(Python, ["-c", "import torch, onnx, cv2, numpy"]) { RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? null : $"python3-torch/python3-onnx/python3-opencv are not installed: {err.Trim().Split('\n').LastOrDefault()}";
    }
}
