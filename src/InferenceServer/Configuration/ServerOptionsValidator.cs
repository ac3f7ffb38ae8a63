using Microsoft.Extensions.Options;

namespace InferenceServer.Configuration;

/// <summary>Checks every option and names the configuration key of each bad value.</summary>
internal sealed class ServerOptionsValidator : IValidateOptions<ServerOptions>
{
    public ValidateOptionsResult Validate(string? name, ServerOptions options)
    {
        var errors = new List<string>();
        const string S = ServerOptions.Section;
        CheckPort(errors, $"{S}:HttpPort", options.HttpPort);
        CheckPort(errors, $"{S}:GrpcPort", options.GrpcPort);
        CheckPort(errors, $"{S}:MetricsPort", options.MetricsPort);

        var ports = new[] { options.HttpPort, options.GrpcPort, options.MetricsPort }.Where(p => p != 0).ToArray();
        if (ports.Distinct().Count() != ports.Length)
        {
            errors.Add($"{S}:HttpPort, {S}:GrpcPort and {S}:MetricsPort must differ (got {options.HttpPort}, {options.GrpcPort}, {options.MetricsPort}).");
        }

        if (!System.Net.IPAddress.TryParse(options.ListenAddress, out _) && options.ListenAddress != "localhost")
        {
            errors.Add($"{S}:ListenAddress must be an IP address or 'localhost' (got '{options.ListenAddress}').");
        }

        if (options.ShutdownTimeoutSeconds < 0 || options.ShutdownTimeoutSeconds > 3600)
        {
            errors.Add($"{S}:ShutdownTimeoutSeconds must be within [0, 3600] (got {options.ShutdownTimeoutSeconds}).");
        }

        if (string.IsNullOrWhiteSpace(options.ModelRepository))
        {
            errors.Add($"{S}:ModelRepository must be set.");
        }

        if (string.IsNullOrWhiteSpace(options.DefaultModel) || options.DefaultModel.IndexOfAny(['/', '\\']) >= 0 || options.DefaultModel is "." or "..")
        {
            errors.Add($"{S}:DefaultModel must be a plain model name (got '{options.DefaultModel}').");
        }

        if (options.MaxImagePixels < 1)
        {
            errors.Add($"{S}:MaxImagePixels must be positive (got {options.MaxImagePixels}).");
        }

        if (options.MaxMessageBytes < 1024)
        {
            errors.Add($"{S}:MaxMessageBytes must be at least 1024 (got {options.MaxMessageBytes}).");
        }

        if (options.Pipeline.Validate() is string pipelineError)
        {
            errors.Add($"{S}:Pipeline:{pipelineError}");
        }

        if (options.Auth.Enabled && options.Auth.Keys.Count == 0 && string.IsNullOrEmpty(options.Auth.KeyFile))
        {
            errors.Add($"{S}:Auth: no API keys configured: set {S}:Auth:KeyFile or {S}:Auth:Keys, or disable auth for local development with {S}:Auth:Enabled=false.");
        }

        if (options.Auth.Enabled && !string.IsNullOrEmpty(options.Auth.KeyFile) && !File.Exists(options.Auth.KeyFile))
        {
            errors.Add($"{S}:Auth:KeyFile '{options.Auth.KeyFile}' does not exist.");
        }

        if (options.Tls.Validate() is string tlsError)
        {
            errors.Add($"{S}:Tls: {tlsError}");
        }

        if (options.Limits.Validate() is string limitsError)
        {
            errors.Add($"{S}:Limits: {limitsError}");
        }

        if (options.Registry.Validate() is string registryError)
        {
            errors.Add($"{S}:Registry:{registryError}");
        }

        if (options.Training.Validate() is string trainingError)
        {
            errors.Add($"{S}:Training:{trainingError}");
        }

        if (options.Feeds.Validate() is string feedsError)
        {
            errors.Add($"{S}:Feeds:{feedsError}");
        }

        if (options.Session.Validate() is string sessionError)
        {
            errors.Add($"{S}:Session:{sessionError}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckPort(List<string> errors, string key, int port)
    {
        if (port < 0 || port > 65535)
        {
            errors.Add($"{key} must be within [0, 65535] (got {port}).");
        }
    }
}
