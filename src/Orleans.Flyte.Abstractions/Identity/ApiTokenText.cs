using System.Security.Cryptography;
using System.Text;

namespace Orleans.Flyte.Abstractions.Identity;

/// <summary>
/// The text of a platform API token: <c>oft_&lt;id&gt;_&lt;secret&gt;</c>. The id (64 random bits, hex) finds the stored
/// record; the secret (256 random bits, base64url) is shown once and only its SHA-256 is ever stored or compared.
/// The prefix tells the API's authentication which handler reads the token (an OIDC JWT never starts with it).
/// </summary>
public static class ApiTokenText
{
    public const string Prefix = "oft_";
    public const string PrincipalPrefix = "token:";

    public static string PrincipalOf(string name) => PrincipalPrefix + name;

    /// <summary>A fresh token: its text (for the caller, once), its id and its secret's hash (for storage).</summary>
    public static (string Text, string Id, string SecretHash) Generate()
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return ($"{Prefix}{id}_{secret}", id, Hash(secret));
    }

    public static bool TryParse(string text, out string id, out string secret)
    {
        id = secret = string.Empty;
        if (!text.StartsWith(Prefix, StringComparison.Ordinal) || text.Length != Prefix.Length + 16 + 1 + 43 || text[Prefix.Length + 16] != '_')
        {
            return false;
        }

        id = text.Substring(Prefix.Length, 16);
        secret = text[(Prefix.Length + 17)..];
        return id.All(char.IsAsciiHexDigitLower) && secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
    }

    /// <summary>Lower-case hex SHA-256 of the secret.</summary>
    public static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
