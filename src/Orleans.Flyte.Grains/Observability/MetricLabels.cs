using System.Text;

namespace Orleans.Flyte.Grains.Observability;

/// <summary>Label values in Prometheus' customary lower snake case: <c>TimedOut</c> is <c>timed_out</c>.</summary>
public static class MetricLabels
{
    public static string Of<TEnum>(TEnum value)
        where TEnum : struct, Enum
    {
        var name = value.ToString();
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0)
            {
                text.Append('_');
            }

            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }
}
