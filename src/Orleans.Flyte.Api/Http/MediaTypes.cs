namespace Orleans.Flyte.Api.Http;

/// <summary>The request media types the API reads; a 415 lists them.</summary>
public static class MediaTypes
{
    public const string Json = "application/json";
    public const string Yaml = "application/yaml";

    /// <summary>What spec endpoints (tasks, workflows, launch plans) read, as their <c>Accepts</c> metadata declares.</summary>
    public static readonly string[] Specs = [Yaml, Json];
}
