using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Orleans.Flyte.Domain.Audit;

/// <summary>SHA-256 over a tenant's stream heads (sorted by key, ordinal) and its last global sequence.</summary>
public static class HistoryDigest
{
    public static string Compute(string scope, long globalPosition, IEnumerable<(string Stream, long Version, string Hash)> heads)
    {
        ArgumentNullException.ThrowIfNull(heads);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"scope\t{scope}\nposition\t{globalPosition.ToString(CultureInfo.InvariantCulture)}\n"));
        foreach (var (stream, version, hash) in heads.OrderBy(h => h.Stream, StringComparer.Ordinal))
        {
            sha.AppendData(Encoding.UTF8.GetBytes($"{stream}\t{version.ToString(CultureInfo.InvariantCulture)}\t{hash}\n"));
        }

        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
