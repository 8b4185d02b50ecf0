namespace Orleans.Flyte.Cli.Output;

/// <summary><c>-o table</c> (people), <c>-o json</c> and <c>-o yaml</c> (scripts: the API's answer as it came).</summary>
public enum OutputFormat
{
    Table,
    Json,
    Yaml,
}
