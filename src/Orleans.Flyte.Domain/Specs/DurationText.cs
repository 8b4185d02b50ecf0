using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>Durations as people write them: <c>90s</c>, <c>30m</c>, <c>2h</c>, <c>1h30m</c>, <c>1d</c>, or ISO 8601 <c>PT2H</c>.</summary>
public static partial class DurationText
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var trimmed = text?.Trim() ?? string.Empty;
        if (trimmed.Length == 0)
        {
            return false;
        }

        try
        {
            if (trimmed.StartsWith('P'))
            {
                duration = XmlConvert.ToTimeSpan(trimmed);
            }
            else
            {
                var match = Compact().Match(trimmed);
                if (!match.Success || match.Length == 0)
                {
                    return false;
                }

                decimal Part(string name) => match.Groups[name].Success ? decimal.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
                var milliseconds = checked((((((Part("d") * 24) + Part("h")) * 60) + Part("m")) * 60 * 1000) + (Part("s") * 1000) + Part("ms"));
                if (milliseconds > (decimal)TimeSpan.MaxValue.TotalMilliseconds / 2)
                {
                    return false;
                }

                duration = TimeSpan.FromMilliseconds((long)milliseconds);
            }
        }
        catch (Exception ex) when (ex is FormatException or OverflowException)
        {
            duration = TimeSpan.Zero;
            return false;
        }

        // Durations are kept to the millisecond, so the normalized text reads back to the same value.
        return duration >= TimeSpan.Zero && duration.Ticks % TimeSpan.TicksPerMillisecond == 0;
    }

    /// <summary>The compact form, e.g. <c>1h30m</c>; the normalized way a duration is stored.</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var builder = new StringBuilder();
        void Add(int value, string unit)
        {
            if (value > 0)
            {
                builder.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
            }
        }

        Add(duration.Days, "d");
        Add(duration.Hours, "h");
        Add(duration.Minutes, "m");
        Add(duration.Seconds, "s");
        Add(duration.Milliseconds, "ms");
        return builder.ToString();
    }

    [GeneratedRegex("^(?:(?<d>[0-9]+)d)?(?:(?<h>[0-9]+)h)?(?:(?<m>[0-9]+)m(?!s))?(?:(?<s>[0-9]+(?:\\.[0-9]{1,3})?)s)?(?:(?<ms>[0-9]+)ms)?$")]
    private static partial Regex Compact();
}
