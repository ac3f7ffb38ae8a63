using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace InferenceServer.Tests.Fixtures;

/// <summary>The built server run as a separate process, as a user runs it.</summary>
internal sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TaskCompletionSource<int> _httpPort = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process)
    {
        _process = process;
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public int Id => _process.Id;

    public static ServerProcess Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        psi.ArgumentList.Add(ServerDll());
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var server = new ServerProcess(process);
        process.OutputDataReceived += (_, e) => server.OnStdout(e.Data);
        process.ErrorDataReceived += (_, e) =>
        {
            lock (server._stderr)
            {
                server._stderr.AppendLine(e.Data);
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>The HTTP port the server printed in its "listening" line.</summary>
    public async Task<int> HttpPortAsync(TimeSpan timeout) => await _httpPort.Task.WaitAsync(timeout);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>Sends SIGTERM, as systemd, Kubernetes and docker stop do.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private static string ServerDll()
    {
        // The host's own output folder, built with the same configuration as this test assembly.
        string config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        string path = Path.Combine(RepoPaths.Root, "src", "InferenceServer", "bin", config, "net10.0", "linux-x64", "InferenceServer.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the solution first: server not found", path);
    }

    private void OnStdout(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stdout)
        {
            _stdout.AppendLine(line);
        }

        var m = ListeningLine().Match(line);
        if (m.Success)
        {
            _httpPort.TrySetResult(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    [GeneratedRegex(@"HTTP/REST http://[^:]+:(\d+)")]
    private static partial Regex ListeningLine();
}
