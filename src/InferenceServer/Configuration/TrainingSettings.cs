namespace InferenceServer.Configuration;

/// <summary>Datasets and the retraining hook (the <c>InferenceServer:Training</c> section).</summary>
public sealed class TrainingSettings
{
    /// <summary>Where datasets (datasets/) and jobs (jobs/) are kept.</summary>
    public string DataRoot { get; set; } = "data";

    /// <summary>The process trainer's command; {data} {out} {weights} {epochs} {batch} {lr} are replaced.</summary>
    public List<string> Command { get; set; } = [];

    /// <summary>Working directory of the training command.</summary>
    public string WorkingDirectory { get; set; } = ".";

    /// <summary>The webhook trainer POSTs job specs here (e.g. a Kubeflow Pipelines trigger).</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>How external trainers reach this server (default: http://127.0.0.1:HTTP port).</summary>
    public string? CallbackBaseUrl { get; set; }

    public double WebhookTimeoutMinutes { get; set; } = 24 * 60;

    /// <summary>Gate default: AP@0.5 every new category must reach on held-out examples.</summary>
    public double MinNewAp { get; set; } = 0.7;

    /// <summary>Gate default: AP@0.5 an existing category may lose against the serving version.</summary>
    public double MaxOldDrop { get; set; } = 0.05;

    /// <summary>Largest example image or import archive accepted, in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 1L << 30;

    /// <summary>The default command: the project's own training code with Debian's PyTorch, fine-tuning neck and head
    /// on a frozen backbone (measured: new classes learn faster and the base classes keep their AP).</summary>
    internal IReadOnlyList<string> EffectiveCommand => Command.Count > 0 ? Command :
        ["/usr/bin/python3", "models/training/train.py", "--data", "{data}", "--out", "{out}", "--weights", "{weights}",
         "--epochs", "{epochs}", "--batch", "{batch}", "--lr", "{lr}", "--freeze", "backbone"];

    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(DataRoot))
        {
            return "DataRoot must be set.";
        }

        if (!(MinNewAp >= 0 && MinNewAp <= 1) || !(MaxOldDrop >= 0 && MaxOldDrop <= 1))
        {
            return $"MinNewAp and MaxOldDrop must be within [0, 1] (got {MinNewAp}, {MaxOldDrop}).";
        }

        if (WebhookUrl is { Length: > 0 } url && (!Uri.TryCreate(url, UriKind.Absolute, out var u) || u.Scheme is not ("http" or "https")))
        {
            return $"WebhookUrl must be an http(s) URL (got '{url}').";
        }

        if (!(WebhookTimeoutMinutes > 0) || MaxUploadBytes < 1024)
        {
            return "WebhookTimeoutMinutes must be positive and MaxUploadBytes at least 1024.";
        }

        return null;
    }
}
