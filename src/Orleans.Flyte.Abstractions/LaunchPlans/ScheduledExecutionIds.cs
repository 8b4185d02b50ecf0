using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Orleans.Flyte.Abstractions.LaunchPlans;

/// <summary>
/// Ids of scheduled runs: a function of project, domain, launch plan, version and scheduled instant, so every repeated
/// fire of one instant (a retry, a restart, a second silo, a backfill) names the same execution, and creating an
/// execution is idempotent per id. 20 characters of [a-z0-9] starting with 's', like every execution id.
/// </summary>
public static class ScheduledExecutionIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    public static string For(string project, string domain, string launchPlan, string version, DateTimeOffset scheduledAt)
    {
        var text = string.Join('\n', "launchplan", project, domain, launchPlan, version,
            scheduledAt.UtcTicks.ToString(CultureInfo.InvariantCulture));
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var id = new StringBuilder("s", 20);
        for (var i = 0; id.Length < 20; i++)
        {
            id.Append(Alphabet[hash[i] % Alphabet.Length]);
        }

        return id.ToString();
    }
}
