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
        var psi = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Script);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"training did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout + await stderr);
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
