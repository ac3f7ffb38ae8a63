using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace InferenceServer.Core.Training.Jobs;

/// <summary>
/// Runs a training command as a child process (default: the project's models/training/train.py). Contract: it
/// reads the YOLO dataset in {data}, fine-tunes from {weights}, writes model.onnx (and checkpoint.pt) to {out},
/// and prints `progress {"epoch": e, "epochs": E, "loss": l, "eta_s": s}` lines; exit code 0 means success.
/// </summary>
internal sealed class ProcessTrainer : ITrainer
{
    private readonly TrainingOptions _options;

    public ProcessTrainer(TrainingOptions options) => _options = options;

    internal static IReadOnlyList<string> Expand(IReadOnlyList<string> command, TrainerContext context)
    {
        var request = context.Job.Request;
        var values = new Dictionary<string, string?>
        {
            ["{data}"] = context.DatasetDirectory,
            ["{out}"] = context.OutputDirectory,
            ["{weights}"] = context.BaseCheckpoint,
            ["{epochs}"] = request.Epochs.ToString(CultureInfo.InvariantCulture),
            ["{batch}"] = request.Batch.ToString(CultureInfo.InvariantCulture),
            ["{lr}"] = request.LearningRate.ToString(CultureInfo.InvariantCulture),
        };
        var args = new List<string>();
        for (int i = 0; i < command.Count; i++)
        {
            // "--weights {weights}" disappears when there is no checkpoint to start from.
            if (context.BaseCheckpoint is null && i + 1 < command.Count && command[i + 1] == "{weights}")
            {
                i++;
                continue;
            }

            args.Add(values.TryGetValue(command[i], out var v) ? v ?? "" : command[i]);
        }

        return args;
    }

    public async Task<TrainerOutput> TrainAsync(TrainerContext context, CancellationToken cancellationToken)
    {
        var args = Expand(_options.Command, context);
        var psi = new ProcessStartInfo(args[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _options.WorkingDirectory,
        };
        foreach (var a in args.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["OMP_NUM_THREADS"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture);
        context.Log("$ " + string.Join(' ', args));
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new TrainerException($"could not start {args[0]}");
        }
        catch (Win32Exception ex)
        {
            throw new TrainerException($"could not start '{args[0]}': {ex.Message}");
        }

        using (process)
        {
            var lastLines = new Queue<string>();
            async Task PumpAsync(StreamReader reader)
            {
                while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is string line)
                {
                    context.Log(line.Length > 2000 ? line[..2000] : line);
                    lock (lastLines)
                    {
                        lastLines.Enqueue(line);
                        if (lastLines.Count > 5)
                        {
                            lastLines.Dequeue();
                        }
                    }

                    if (line.StartsWith("progress ", StringComparison.Ordinal) && ParseProgress(line["progress ".Length..]) is { } p)
                    {
                        context.Progress(p);
                    }
                }
            }

            var pumps = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
            try
            {
                await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }

            await pumps.ConfigureAwait(false);
            if (process.ExitCode != 0)
            {
                string tail;
                lock (lastLines)
                {
                    tail = string.Join(" | ", lastLines);
                }

                throw new TrainerException($"the trainer exited with code {process.ExitCode}: {tail}");
            }
        }

        string onnx = Path.Combine(context.OutputDirectory, "model.onnx");
        if (!File.Exists(onnx))
        {
            throw new TrainerException($"the trainer exited 0 but wrote no {onnx}");
        }

        string checkpoint = Path.Combine(context.OutputDirectory, "checkpoint.pt");
        return new TrainerOutput(onnx, File.Exists(checkpoint) ? checkpoint : null);
    }

    internal static JobProgress? ParseProgress(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            return new JobProgress(
                r.GetProperty("epoch").GetInt32(),
                r.GetProperty("epochs").GetInt32(),
                r.TryGetProperty("loss", out var l) ? l.GetDouble() : double.NaN,
                r.TryGetProperty("eta_s", out var e) ? e.GetDouble() : double.NaN);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null; // Not a progress line after all; it is still logged.
        }
    }
}
