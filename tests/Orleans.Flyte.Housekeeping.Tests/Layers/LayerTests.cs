using System.Reflection;

namespace Orleans.Flyte.Housekeeping.Tests.Layers;

/// <summary>
/// The layer picture of docs/architecture.md, checked on the compiled assemblies: a project uses only the layers below
/// it. Only what the code really uses is listed in an assembly's references, so a contract that slips back into the
/// engine, or an API that reaches for a grain class, shows here.
/// </summary>
public sealed class LayerTests
{
    [Theory]
    [InlineData("Orleans.Flyte.Domain")]
    [InlineData("Orleans.Flyte.Abstractions", "Orleans.Flyte.Domain")]
    [InlineData("Orleans.Flyte.Grains", "Orleans.Flyte.Abstractions", "Orleans.Flyte.Domain")]
    [InlineData("Orleans.Flyte.Api", "Orleans.Flyte.Abstractions", "Orleans.Flyte.Domain")]
    [InlineData("Orleans.Flyte.Kubernetes", "Orleans.Flyte.Abstractions", "Orleans.Flyte.Domain")]
    public void A_project_uses_only_the_layers_below_it(string project, params string[] below)
    {
        var used = Assembly.Load(project).GetReferencedAssemblies()
            .Select(reference => reference.Name ?? string.Empty)
            .Where(name => name.StartsWith("Orleans.Flyte.", StringComparison.Ordinal));

        used.Should().BeSubsetOf(below, $"{project} sits above exactly those in docs/architecture.md");
    }
}
