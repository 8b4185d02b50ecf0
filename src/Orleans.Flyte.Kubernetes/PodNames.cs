using System.Security.Cryptography;
using System.Text;

namespace Orleans.Flyte.Kubernetes;

/// <summary>Names and labels the runner gives pods: deterministic, DNS-1123 and label-value safe.</summary>
public static class PodNames
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "orleans-flyte";
    public const string ProjectLabel = "flyte.orleans.dev/project";
    public const string DomainLabel = "flyte.orleans.dev/domain";
    public const string ExecutionLabel = "flyte.orleans.dev/execution";
    public const string NodeLabel = "flyte.orleans.dev/node";
    public const string AttemptLabel = "flyte.orleans.dev/attempt";

    /// <summary>The exact attempt id (labels cannot hold it: too long, and '/' or '.' may be sanitised away).</summary>
    public const string AttemptIdAnnotation = "flyte.orleans.dev/attempt-id";

    /// <summary>The task's declared output names as a JSON array, so a pod alone says what success requires.</summary>
    public const string OutputsAnnotation = "flyte.orleans.dev/outputs";

    /// <summary>The task's file and directory outputs (name → type) as a JSON object: collected from the artifact volume
    /// after exit 0 instead of read from the termination message.</summary>
    public const string ArtifactOutputsAnnotation = "flyte.orleans.dev/artifact-outputs";

    /// <summary>The attempt's inputs JSON, mounted into the pod through the downward API.</summary>
    public const string InputsAnnotation = "flyte.orleans.dev/inputs";

    public const string Selector = ManagedByLabel + "=" + ManagedBy;

    private const int MaxLength = 63;

    /// <summary>
    /// <c>{execution}-{node}-{attempt}-{hash}</c>, lower-cased, anything outside <c>[a-z0-9-]</c> as <c>-</c>, cut so the
    /// whole is at most 63 characters. The 8-hex hash is of the exact attempt id, so two attempts never share a name even
    /// when sanitising or cutting makes their readable parts equal, or when several projects share one namespace.
    /// </summary>
    public static string Pod(string attemptId, string executionId, string nodeId, int attempt)
    {
        var hash = Hash(attemptId);
        var readable = Sanitize($"{executionId}-{nodeId}-{attempt}");
        var room = MaxLength - hash.Length - 1;
        if (readable.Length > room)
        {
            readable = readable[..room].TrimEnd('-');
        }

        return readable.Length == 0 ? "a" + hash : $"{readable}-{hash}";
    }

    /// <summary>The namespace of a project/domain from the pattern, sanitised to a DNS-1123 label.</summary>
    public static string Namespace(string pattern, string project, string domain)
    {
        var name = Sanitize(pattern.Replace("{project}", project, StringComparison.Ordinal).Replace("{domain}", domain, StringComparison.Ordinal));
        return name.Length > MaxLength ? name[..MaxLength].TrimEnd('-') : name;
    }

    /// <summary>A valid label value: at most 63 of <c>[A-Za-z0-9._-]</c>, alphanumeric at both ends; a hash keeps
    /// long values distinct.</summary>
    public static string LabelValue(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }

        var text = builder.ToString().Trim('.', '_', '-');
        if (text.Length > MaxLength)
        {
            text = text[..(MaxLength - 9)].TrimEnd('.', '_', '-') + "-" + Hash(value);
        }

        return text;
    }

    private static string Sanitize(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text.ToLowerInvariant())
        {
            var next = char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) ? c : '-';
            if (next == '-' && (builder.Length == 0 || builder[^1] == '-'))
            {
                continue;
            }

            builder.Append(next);
        }

        return builder.ToString().Trim('-');
    }

    private static string Hash(string text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..8];
}
