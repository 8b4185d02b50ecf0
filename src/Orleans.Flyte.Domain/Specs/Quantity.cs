using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Orleans.Flyte.Domain.Specs;

/// <summary>
/// A Kubernetes resource quantity (<c>4</c>, <c>500m</c>, <c>0.5</c>, <c>32Gi</c>, <c>1e3</c>): a decimal number
/// with an optional binary (Ki..Ei), decimal (n, u, m, k, M..E) or exponent suffix.
/// </summary>
public sealed partial record Quantity
{
    private static readonly Dictionary<string, decimal> s_suffixes = new(StringComparer.Ordinal)
    {
        [""] = 1m,
        ["n"] = 0.000000001m,
        ["u"] = 0.000001m,
        ["m"] = 0.001m,
        ["k"] = 1e3m,
        ["M"] = 1e6m,
        ["G"] = 1e9m,
        ["T"] = 1e12m,
        ["P"] = 1e15m,
        ["E"] = 1e18m,
        ["Ki"] = 1024m,
        ["Mi"] = 1024m * 1024,
        ["Gi"] = 1024m * 1024 * 1024,
        ["Ti"] = 1024m * 1024 * 1024 * 1024,
        ["Pi"] = 1024m * 1024 * 1024 * 1024 * 1024,
        ["Ei"] = 1024m * 1024 * 1024 * 1024 * 1024 * 1024,
    };

    private Quantity(string text, decimal value, string suffix)
    {
        Text = text;
        Value = value;
        Suffix = suffix;
    }

    /// <summary>As written (trimmed): what goes into a pod spec.</summary>
    public string Text { get; }

    /// <summary>The amount in base units (cores, bytes).</summary>
    public decimal Value { get; }

    public string Suffix { get; }

    public static bool TryParse(string? text, [NotNullWhen(true)] out Quantity? quantity)
    {
        quantity = null;
        var trimmed = text?.Trim() ?? string.Empty;
        var match = Grammar().Match(trimmed);
        if (!match.Success)
        {
            return false;
        }

        var number = match.Groups["number"].Value;
        var suffix = match.Groups["suffix"].Value;
        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        try
        {
            if (suffix.Length > 1 && suffix[0] is 'e' or 'E' && suffix[1] != 'i')
            {
                var exponent = int.Parse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                if (Math.Abs(exponent) > 18)
                {
                    return false;
                }

                value *= (decimal)Math.Pow(10, exponent);
            }
            else if (s_suffixes.TryGetValue(suffix, out var factor))
            {
                value *= factor;
            }
            else
            {
                return false;
            }
        }
        catch (OverflowException)
        {
            return false;
        }

        quantity = new Quantity(trimmed, value, suffix);
        return true;
    }

    public override string ToString() => Text;

    [GeneratedRegex("^(?<number>[0-9]+(\\.[0-9]*)?|\\.[0-9]+)(?<suffix>[eE][-+]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")]
    private static partial Regex Grammar();
}
