namespace Orleans.Flyte.Abstractions.Registry;

/// <summary>The kinds of versioned definitions, as the API names them in paths and responses and read models store them.</summary>
public static class DefinitionKinds
{
    public const string Task = "task";
    public const string Workflow = "workflow";
}
