namespace Orleans.Flyte.Abstractions.Executions;

/// <summary>
/// Keys carry project and domain because an execution's streams live in its project/domain tenant, and a
/// grain must know its stream before it has read anything. Project, domain, execution and node ids are DNS
/// labels (no '.' or '/'), which keeps every key below unambiguous to parse.
/// </summary>
public static class ExecutionKeys
{
    public static string Workflow(string project, string domain, string executionId) => $"{project}/{domain}/{executionId}";

    public static string Task(string project, string domain, string executionId, string nodeId) => $"{project}/{domain}/{executionId}/{nodeId}";

    /// <summary>Stable and DNS-subdomain-safe: names the pod or work directory of one attempt.</summary>
    public static string Attempt(string project, string domain, string executionId, string nodeId, int attempt) =>
        $"{project}.{domain}.{executionId}.{nodeId}.{attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The task grain key an attempt id belongs to.</summary>
    public static bool TryParseAttempt(string attemptId, out string taskKey, out int attempt)
    {
        taskKey = string.Empty;
        attempt = 0;
        var parts = attemptId.Split('.');
        if (parts.Length != 5 || parts.Any(p => p.Length == 0)
            || !int.TryParse(parts[4], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out attempt))
        {
            return false;
        }

        taskKey = Task(parts[0], parts[1], parts[2], parts[3]);
        return true;
    }

    public static (string Project, string Domain, string ExecutionId) ParseWorkflow(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 3
            ? (parts[0], parts[1], parts[2])
            : throw new ArgumentException($"'{key}' is not a workflow execution key (project/domain/execution).", nameof(key));
    }

    public static (string Project, string Domain, string ExecutionId, string NodeId) ParseTask(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 4
            ? (parts[0], parts[1], parts[2], parts[3])
            : throw new ArgumentException($"'{key}' is not a task execution key (project/domain/execution/node).", nameof(key));
    }
}
