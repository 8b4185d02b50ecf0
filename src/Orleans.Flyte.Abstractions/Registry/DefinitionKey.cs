namespace Orleans.Flyte.Abstractions.Registry;

public static class DefinitionKey
{
    public static string Of(string project, string domain, string name) => $"{project}/{domain}/{name}";

    public static (string Project, string Domain, string Name) Parse(string key)
    {
        var parts = key.Split('/');
        return parts.Length == 3
            ? (parts[0], parts[1], parts[2])
            : throw new ArgumentException($"'{key}' is not a definition key of the form project/domain/name.", nameof(key));
    }
}
