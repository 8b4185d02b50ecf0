using System.Security.Cryptography;
using System.Text;

namespace Orleans.Flyte.Abstractions.Executions;

/// <summary>
/// Execution ids: 20 characters of [a-z0-9] starting with a letter — DNS-label safe (they name pods and
/// directories), with no '-' or '.' so attempt ids stay parseable.
/// </summary>
public static class ExecutionIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string New() => "e" + RandomNumberGenerator.GetString(Alphabet, 19);

    /// <summary>The same idempotency key in the same project/domain always names the same execution, so a retried
    /// submission lands on the execution the first attempt created.</summary>
    public static string FromIdempotencyKey(string project, string domain, string key)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{project}\n{domain}\n{key}"));
        var id = new StringBuilder("k", 20);
        for (var i = 0; id.Length < 20; i++)
        {
            id.Append(Alphabet[hash[i] % Alphabet.Length]);
        }

        return id.ToString();
    }

    /// <summary>The child execution a sub-workflow or launch-plan node runs: derived from the parent and the node, so
    /// starting it again (after a crash, or a lost answer) lands on the same execution, and a relaunch or recover (a new
    /// parent id) gets new children.</summary>
    public static string Child(string parentExecutionId, string nodeId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"child\n{parentExecutionId}\n{nodeId}"));
        var id = new StringBuilder("c", 20);
        for (var i = 0; id.Length < 20; i++)
        {
            id.Append(Alphabet[hash[i] % Alphabet.Length]);
        }

        return id.ToString();
    }

    public static bool IsValid(string id) => id.Length == 20 && char.IsAsciiLetterLower(id[0]) && id.All(c => Alphabet.Contains(c, StringComparison.Ordinal));
}
