using System.Globalization;
using System.IO.Compression;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace InferenceServer.Cli.Commands;

/// <summary>
/// The operators' commands, over the REST port ($INFERENCESERVER_URL; API key from $INFERENCESERVER_KEY):<br/>
/// <c>infer examples add IMAGE --box x1,y1,x2,y2,label [--box ...] [--dataset NAME]</c><br/>
/// <c>infer examples import DIR --format yolo|coco [--dataset NAME]</c><br/>
/// <c>infer examples capture --feed ID | --stream ID [--dataset NAME]</c><br/>
/// <c>infer retrain --model M --categories star,cross [--dataset NAME] [--epochs N] [--promote] [--no-wait]</c><br/>
/// <c>infer jobs [ID]</c>
/// </summary>
internal static class TrainingCommands
{
    public static async Task<int> ExamplesAsync(string[] args)
    {
        var boxes = new List<string>();
        var rest = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--box")
            {
                boxes.Add(i + 1 < args.Length ? args[++i] : throw new UsageException("--box needs x1,y1,x2,y2,label"));
            }
            else
            {
                rest.Add(args[i]);
            }
        }

        var r = new ArgReader([.. rest]);
        string dataset = r.String("--dataset") ?? "default";
        using var http = Client(r.String("--server"));
        if (r.Positional is ["add", var image])
        {
            r.RejectUnknown();
            var annotations = new
            {
                boxes = boxes.Select(b =>
                {
                    var p = b.Split(',');
                    if (p.Length != 5 || !p.Take(4).All(v => float.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _)))
                    {
                        throw new UsageException($"--box '{b}': expected x1,y1,x2,y2,label");
                    }

                    return new { label = p[4], box = p.Take(4).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray() };
                }).ToArray(),
            };
            using var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(await File.ReadAllBytesAsync(image)), "image", Path.GetFileName(image));
            if (boxes.Count > 0)
            {
                form.Add(new StringContent(JsonSerializer.Serialize(annotations)), "annotations");
            }

            using var response = await http.PostAsync(new Uri($"v1/datasets/{Uri.EscapeDataString(dataset)}/examples", UriKind.Relative), form);
            var body = await Read(response);
            Console.WriteLine($"{(body.GetProperty("duplicate").GetBoolean() ? "already in" : "added to")} {dataset}: {body.GetProperty("id").GetString()![..12]} ({boxes.Count} boxes{(body.GetProperty("holdout").GetBoolean() ? ", held out for validation" : "")})");
            return 0;
        }

        if (r.Positional is ["import", var dir])
        {
            string format = r.Required("--format");
            r.RejectUnknown();
            if (!Directory.Exists(dir))
            {
                throw new UsageException($"'{dir}' is not a folder");
            }

            using var zip = new MemoryStream();
            ZipFile.CreateFromDirectory(dir, zip);
            using var content = new ByteArrayContent(zip.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            using var response = await http.PostAsync(new Uri($"v1/datasets/{Uri.EscapeDataString(dataset)}/import?format={Uri.EscapeDataString(format)}", UriKind.Relative), content);
            var body = await Read(response);
            Console.WriteLine($"{dataset}: {body.GetProperty("added").GetInt32()} added, {body.GetProperty("duplicates").GetInt32()} already there, {body.GetProperty("rejected").GetArrayLength()} rejected");
            foreach (var rejected in body.GetProperty("rejected").EnumerateArray().Take(20))
            {
                Console.WriteLine($"  rejected {rejected.GetProperty("file").GetString()}: {rejected.GetProperty("reason").GetString()}");
            }

            return 0;
        }

        if (r.Positional is ["capture"])
        {
            string? feed = r.String("--feed");
            string? stream = r.String("--stream");
            r.RejectUnknown();
            if ((feed is null) == (stream is null))
            {
                throw new UsageException("examples capture needs --feed ID or --stream ID");
            }

            using var response = await http.PostAsync(
                new Uri($"v1/datasets/{Uri.EscapeDataString(dataset)}/capture", UriKind.Relative),
                JsonContent.Create(feed is null ? new Dictionary<string, string> { ["stream"] = stream! } : new Dictionary<string, string> { ["feed"] = feed }));
            var body = await Read(response);
            Console.WriteLine($"captured into {dataset}: {body.GetProperty("id").GetString()![..12]} ({body.GetProperty("width").GetInt32()}x{body.GetProperty("height").GetInt32()}, unlabelled)");
            return 0;
        }

        throw new UsageException("examples needs 'add IMAGE --box x1,y1,x2,y2,label ...', 'import DIR --format yolo|coco' or 'capture --feed ID | --stream ID'");
    }

    public static async Task<int> RetrainAsync(string[] args)
    {
        var r = new ArgReader(args, "--promote", "--no-wait");
        var request = new Dictionary<string, object?>
        {
            ["model"] = r.Required("--model"),
            ["dataset"] = r.String("--dataset") ?? "default",
            ["categories"] = r.Required("--categories").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            ["promote"] = r.Flag("--promote"),
            ["epochs"] = r.Int("--epochs", 30),
            ["trainer"] = r.String("--trainer") ?? "process",
        };
        bool wait = !r.Flag("--no-wait");
        using var http = Client(r.String("--server"));
        r.RejectUnknown();
        using var response = await http.PostAsJsonAsync(new Uri("v1/jobs", UriKind.Relative), request);
        var job = await Read(response);
        string id = job.GetProperty("id").GetString()!;
        Console.WriteLine($"job {id}: {request["model"]} + {string.Join(",", (string[])request["categories"]!)} on {request["dataset"]} v{job.GetProperty("dataset_version").GetInt32()}");
        if (!wait)
        {
            return 0;
        }

        while (true)
        {
            await Task.Delay(1000);
            using var status = await http.GetAsync(new Uri($"v1/jobs/{id}", UriKind.Relative));
            job = await Read(status);
            string state = job.GetProperty("state").GetString()!;
            Console.Write("\r" + ProgressLine(job) + "   ");
            if (state is "succeeded" or "rejected" or "failed" or "cancelled")
            {
                Console.WriteLine();
                PrintReport(job);
                return state == "succeeded" ? 0 : 1;
            }
        }
    }

    public static async Task<int> JobsAsync(string[] args)
    {
        var r = new ArgReader(args);
        using var http = Client(r.String("--server"));
        r.RejectUnknown();
        if (r.Positional is [var id])
        {
            using var response = await http.GetAsync(new Uri($"v1/jobs/{Uri.EscapeDataString(id)}", UriKind.Relative));
            var job = await Read(response);
            Console.WriteLine(ProgressLine(job));
            PrintReport(job);
            return 0;
        }

        using (var response = await http.GetAsync(new Uri("v1/jobs", UriKind.Relative)))
        {
            foreach (var job in (await Read(response)).EnumerateArray())
            {
                Console.WriteLine($"{job.GetProperty("id").GetString(),-28} {ProgressLine(job)}");
            }
        }

        return 0;
    }

    internal static string ProgressLine(JsonElement job)
    {
        string state = job.GetProperty("state").GetString()!;
        string line = $"{state,-10} {job.GetProperty("model").GetString()} + {string.Join(",", job.GetProperty("categories").EnumerateArray().Select(c => c.GetString()))}";
        if (job.GetProperty("progress") is { ValueKind: JsonValueKind.Object } p)
        {
            int epoch = p.GetProperty("epoch").GetInt32();
            int epochs = Math.Max(1, p.GetProperty("epochs").GetInt32());
            int filled = 20 * epoch / epochs;
            line += $" [{new string('#', filled)}{new string('.', 20 - filled)}] epoch {epoch}/{epochs} loss {p.GetProperty("loss").GetDouble():F3} eta {p.GetProperty("eta_s").GetDouble():F0}s";
        }

        if (job.GetProperty("result_version") is { ValueKind: JsonValueKind.String } v)
        {
            line += $" -> v{v.GetString()}{(job.GetProperty("promoted").GetBoolean() ? " (promoted)" : " (candidate)")}";
        }

        return line;
    }

    private static void PrintReport(JsonElement job)
    {
        if (job.GetProperty("error") is { ValueKind: JsonValueKind.String } error)
        {
            Console.WriteLine($"  {error.GetString()}");
        }

        if (job.GetProperty("report") is { ValueKind: JsonValueKind.Object } report)
        {
            Console.WriteLine($"  gate {(report.GetProperty("passed").GetBoolean() ? "passed" : "failed")} on {report.GetProperty("holdout_images").GetInt32()} held-out images (serving v{report.GetProperty("production_version").GetString()}):");
            foreach (var c in report.GetProperty("classes").EnumerateObject())
            {
                var v = c.Value;
                string serving = v.GetProperty("production_ap") is { ValueKind: JsonValueKind.Number } pa ? pa.GetDouble().ToString("F3", CultureInfo.InvariantCulture) : "-";
                Console.WriteLine($"    {c.Name,-12} {(v.GetProperty("new").GetBoolean() ? "new" : "old"),-4} AP50 {v.GetProperty("candidate_ap").GetDouble():F3} (serving {serving}) on {v.GetProperty("instances").GetInt32()} {(v.GetProperty("passed").GetBoolean() ? "ok" : "FAIL")}");
            }
        }
    }

    private static HttpClient Client(string? server)
    {
        var http = new HttpClient { BaseAddress = new Uri((server ?? Environment.GetEnvironmentVariable("INFERENCESERVER_URL") ?? "http://127.0.0.1:8000").TrimEnd('/') + "/") };
        if (Environment.GetEnvironmentVariable("INFERENCESERVER_KEY") is { Length: > 0 } key)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return http;
    }

    private static async Task<JsonElement> Read(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            string message = text;
            try
            {
                using var doc = JsonDocument.Parse(text);
                message = doc.RootElement.GetProperty("error").GetString() ?? text;
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
            }

            throw new HttpRequestException($"HTTP {(int)response.StatusCode}: {message}");
        }

        return JsonDocument.Parse(text).RootElement.Clone();
    }
}
