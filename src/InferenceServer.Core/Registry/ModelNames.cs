using System.Globalization;
using System.Text.RegularExpressions;

namespace InferenceServer.Core.Registry;

/// <summary>
/// What a model name, version or alias may look like. Names become folder names, so anything that could escape
/// the repository (separators, "..", absolute paths, control characters) is refused.
/// </summary>
internal static partial class ModelNames
{
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name) && name is not ("." or "..");

    public static bool IsValidAlias(string? alias) => alias is not null && AliasPattern().IsMatch(alias);

    /// <summary>Versions are positive integers without sign or leading zeros (folder "3" is version 3).</summary>
    public static bool TryParseVersion(string? text, out long version)
    {
        version = 0;
        return text is not null && VersionPattern().IsMatch(text)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out version) && version > 0;
    }

    public static string CheckName(string? name) => IsValidName(name)
        ? name!
        : throw new ArgumentException($"invalid model name '{name}': use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit.");

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,31}$")]
    private static partial Regex AliasPattern();

    [GeneratedRegex(@"^[1-9][0-9]{0,17}$")]
    private static partial Regex VersionPattern();
}
