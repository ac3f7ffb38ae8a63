using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace InferenceServer.Security;

/// <summary>
/// Verifies presented keys against salted SHA-256 hashes in constant time. Plain keys from configuration are
/// hashed at start-up and not kept.
/// </summary>
internal sealed class ApiKeyStore
{
    private readonly Identity[] _identities;

    private ApiKeyStore(Identity[] identities)
    {
        _identities = identities;
    }

    public int Count => _identities.Length;

    /// <exception cref="InvalidDataException">A malformed key file line or entry, naming where.</exception>
    public static ApiKeyStore Load(ApiKeyOptions options)
    {
        var identities = new List<Identity>();
        for (int i = 0; i < options.Keys.Count; i++)
        {
            var k = options.Keys[i];
            string where = $"InferenceServer:Auth:Keys:{i}";
            if (string.IsNullOrWhiteSpace(k.Id) || !Roles.IsKnown(k.Role) || string.IsNullOrEmpty(k.Key) || k.Key.Length < 16)
            {
                throw new InvalidDataException($"{where} needs an Id, a Role (camera, operator or admin) and a Key of at least 16 characters.");
            }

            byte[] salt = RandomNumberGenerator.GetBytes(16);
            identities.Add(new Identity(k.Id, k.Role, salt, Hash(salt, k.Key), k.Feeds.ToArray()));
        }

        if (!string.IsNullOrEmpty(options.KeyFile))
        {
            int lineNumber = 0;
            foreach (var raw in File.ReadAllLines(options.KeyFile))
            {
                lineNumber++;
                string line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                var parts = line.Split(':');
                if (parts.Length is < 4 or > 5 || !Roles.IsKnown(parts[1]) || !TryHex(parts[2], out var salt) || !TryHex(parts[3], out var hash) || hash.Length != 32)
                {
                    throw new InvalidDataException($"{options.KeyFile}:{lineNumber}: expected id:role:salt-hex:sha256-hex[:feeds].");
                }

                var feeds = parts.Length == 5 ? parts[4].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
                identities.Add(new Identity(parts[0], parts[1], salt, hash, feeds));
            }
        }

        if (identities.Select(i => i.Id).Distinct(StringComparer.Ordinal).Count() != identities.Count)
        {
            throw new InvalidDataException("API key ids must be unique.");
        }

        return new ApiKeyStore(identities.ToArray());
    }

    /// <summary>A key-file line for a new key (what `infer keys add` would print).</summary>
    public static string FileLine(string id, string role, string key, params string[] feeds)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        string line = $"{id}:{role}:{Convert.ToHexStringLower(salt)}:{Convert.ToHexStringLower(Hash(salt, key))}";
        return feeds.Length > 0 ? $"{line}:{string.Join(',', feeds)}" : line;
    }

    /// <summary>The identity whose key matches, or null. Every key is checked, each in constant time.</summary>
    public Identity? Verify(string presented)
    {
        Identity? match = null;
        foreach (var identity in _identities)
        {
            byte[] hash = Hash(identity.Salt, presented);
            if (CryptographicOperations.FixedTimeEquals(hash, identity.Hash))
            {
                match = identity;
            }
        }

        return match;
    }

    private static byte[] Hash(byte[] salt, string key)
    {
        byte[] keyBytes = Encoding.UTF8.GetBytes(key);
        byte[] input = new byte[salt.Length + keyBytes.Length];
        salt.CopyTo(input, 0);
        keyBytes.CopyTo(input, salt.Length);
        return SHA256.HashData(input);
    }

    private static bool TryHex(string text, out byte[] bytes)
    {
        try
        {
            bytes = Convert.FromHexString(text);
            return bytes.Length > 0;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    internal sealed record Identity(string Id, string Role, byte[] Salt, byte[] Hash, string[] Feeds)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Id} ({Role})");
    }
}
