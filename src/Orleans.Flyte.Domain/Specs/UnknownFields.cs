namespace Orleans.Flyte.Domain.Specs;

/// <summary>What to say about a field nobody reads: its name and the closest known one, so a typo such as
/// <c>inptus</c> is a clear error instead of a run with defaults. Shared by spec validation and the API's request bodies.</summary>
public static class UnknownFields
{
    public static string Message(string key, IReadOnlyCollection<string> known)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(known);
        return Closest(key, known) is { } suggestion
            ? $"unknown field '{key}'; did you mean '{suggestion}'?"
            : $"unknown field '{key}'; known fields here are: {string.Join(", ", known)}";
    }

    /// <summary>The known field within two edits of <paramref name="key"/> (ignoring case), or null.</summary>
    public static string? Closest(string key, IEnumerable<string> known) =>
        known.Select(k => (k, d: Distance(k.ToUpperInvariant(), key.ToUpperInvariant()))).Where(x => x.d <= 2).OrderBy(x => x.d).Select(x => x.k).FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }
        }

        return d[a.Length, b.Length];
    }
}
