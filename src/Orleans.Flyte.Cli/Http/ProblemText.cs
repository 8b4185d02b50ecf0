using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Configuration;

namespace Orleans.Flyte.Cli.Http;

/// <summary>
/// Turns an API error (RFC 9457 problem details) into one line a person can act on: the field pointer and message of
/// each spec error, or the problem's detail; a conflict's differences become the lines under it.
/// </summary>
public static class ProblemText
{
    private const string TokenHelp = "--token, " + CliSettings.TokenVariable + ", or 'orleans-flyte config set token TOKEN'";

    public static CliException ToException(ApiResponse response, string? context = null)
    {
        var line = OneLine(response);
        return new CliException(context is null ? line : $"{context}: {line}", ExitCodes.Failed, Differences(response.Body));
    }

    public static string OneLine(ApiResponse response)
    {
        var body = response.Body as JsonObject;
        var title = Text(body?["title"])?.TrimEnd('.', ' ');
        var detail = Text(body?["detail"]);

        if (body?["errors"] is JsonObject errors && errors.Count > 0)
        {
            var parts = errors
                .OrderBy(e => e.Key, StringComparer.Ordinal)
                .SelectMany(e => Messages(e.Value).Select(m => $"{(e.Key.Length == 0 ? "/" : e.Key)}: {m}"));
            return $"{title ?? "The request is not valid"}: {string.Join("; ", parts)}";
        }

        if (detail is not null)
        {
            return detail;
        }

        return title is not null
            ? $"{title} (HTTP {(int)response.Status})"
            : $"the API answered HTTP {(int)response.Status} {response.Status}{(response.MediaType is null ? string.Empty : $" ({response.MediaType})")}";
    }

    /// <summary>The lines of a 409's <c>differences</c>: <c>~ /pointer: registered -> submitted</c>, <c>+</c> only submitted, <c>-</c> only registered.</summary>
    public static IReadOnlyList<string> Differences(JsonNode? body)
    {
        if (body?["differences"] is not JsonArray differences || differences.Count == 0)
        {
            return [];
        }

        var lines = new List<string> { "  differences (registered -> submitted):" };
        foreach (var difference in differences.OfType<JsonObject>())
        {
            var pointer = Text(difference["pointer"]) is { Length: > 0 } p ? p : "/";
            var existing = Text(difference["existing"]);
            var submitted = Text(difference["submitted"]);
            lines.Add((existing, submitted) switch
            {
                (null, not null) => $"    + {pointer}: {submitted}",
                (not null, null) => $"    - {pointer}: {existing}",
                _ => $"    ~ {pointer}: {existing} -> {submitted}",
            });
        }

        return lines;
    }

    public static CliException Unauthorized(ApiResponse response, CliSettings settings)
    {
        var detail = Text((response.Body as JsonObject)?["detail"]);
        var because = detail is null ? string.Empty : $" ({detail.TrimEnd('.')})";
        var message = (response.Status, settings.Token.IsSet) switch
        {
            (System.Net.HttpStatusCode.Unauthorized, false) =>
                $"the API needs a token{because}: set one with {TokenHelp}.",
            (System.Net.HttpStatusCode.Unauthorized, true) =>
                $"the API did not accept the token from {settings.Token.Source}{because}: set a valid one with {TokenHelp}.",
            _ =>
                $"the token from {settings.Token.Source} is not allowed to do this{because}: ask for a role that allows it, or use another token ({TokenHelp}).",
        };
        return new CliException(message, ExitCodes.Unauthorized);
    }

    private static IEnumerable<string> Messages(JsonNode? node) => node switch
    {
        JsonArray array => array.Select(Text).OfType<string>(),
        _ when Text(node) is { } single => [single],
        _ => [],
    };

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}
