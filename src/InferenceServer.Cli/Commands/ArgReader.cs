using System.Globalization;

namespace InferenceServer.Cli.Commands;

/// <summary>Minimal <c>--name value</c> / <c>--flag</c> parsing with errors that name the option.</summary>
internal sealed class ArgReader
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public ArgReader(string[] args, params string[] flags)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                _positional.Add(a);
                continue;
            }

            if (flags.Contains(a))
            {
                _options[a] = null;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                throw new UsageException($"{a} needs a value");
            }

            _options[a] = args[++i];
        }
    }

    public IReadOnlyList<string> Positional => _positional;

    public bool Flag(string name)
    {
        _used.Add(name);
        return _options.ContainsKey(name);
    }

    public string? String(string name)
    {
        _used.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public string Required(string name) => String(name) ?? throw new UsageException($"{name} is required");

    public int Int(string name, int fallback)
    {
        string? v = String(name);
        if (v is null)
        {
            return fallback;
        }

        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new UsageException($"{name} must be an integer (got '{v}')");
    }

    public double Double(string name, double fallback)
    {
        string? v = String(name);
        if (v is null)
        {
            return fallback;
        }

        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double n)
            ? n
            : throw new UsageException($"{name} must be a number (got '{v}')");
    }

    /// <summary>Fails on options nobody asked for (typos).</summary>
    public void RejectUnknown()
    {
        var unknown = _options.Keys.Where(k => !_used.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new UsageException($"unknown option {unknown[0]}");
        }
    }
}
