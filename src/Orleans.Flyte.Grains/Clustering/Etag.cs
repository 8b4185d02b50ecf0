using System.Globalization;

namespace Orleans.Flyte.Grains.Clustering;

/// <summary>Etags of our Orleans tables: values of the <c>orleans.etags</c> sequence, as decimal strings.</summary>
internal static class Etag
{
    public static string Format(long etag) => etag.ToString(CultureInfo.InvariantCulture);

    /// <summary>An etag we did not issue parses to nothing: writes conditional on it are conflicts, not errors.</summary>
    public static bool TryParse(string? etag, out long value) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
