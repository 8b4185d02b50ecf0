using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Orleans.Flyte.Abstractions.Executions;

namespace Orleans.Flyte.Abstractions.Catalogs;

/// <summary>
/// A position in the newest-first listing: the creation time and id of the last execution seen. The id breaks ties
/// between executions created in the same instant, so paging never skips or repeats one. Clients see it as an
/// opaque URL-safe token (<see cref="Encode"/>), the format the API has always returned.
/// </summary>
public sealed record ExecutionCursor(DateTimeOffset CreatedAt, string Id)
{
    public string Encode() =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{CreatedAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}:{Id}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>False for anything <see cref="Encode"/> did not produce (bad base64, an instant out of range, no valid execution id).</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out ExecutionCursor? cursor)
    {
        ArgumentNullException.ThrowIfNull(text);
        cursor = null;
        try
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                && ticks <= DateTimeOffset.MaxValue.UtcTicks && ExecutionIds.IsValid(parts[1]))
            {
                cursor = new ExecutionCursor(new DateTimeOffset(ticks, TimeSpan.Zero), parts[1]);
            }
        }
        catch (FormatException)
        {
        }

        return cursor is not null;
    }
}
