using Microsoft.Extensions.DependencyInjection;
using Orleans.Flyte.Abstractions.Catalogs;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Registry;
using Orleans.Flyte.Grains.Registry;
using static Orleans.Flyte.Grains.Tests.ReadModels.ReadModelStore;

namespace Orleans.Flyte.Grains.Tests.ReadModels;

/// <summary>Project and definition streams in, <see cref="ProjectDocument"/>s and <see cref="DefinitionVersionDocument"/>s out.</summary>
public sealed class RegistryCatalogProjectionTests(ReadModelStore store) : IClassFixture<ReadModelStore>
{
    private static readonly IReadOnlyDictionary<string, string> s_noPins = new Dictionary<string, string>();

    [Fact]
    public async Task Projects_from_the_cluster_tenant_are_listed_with_who_created_them()
    {
        var name = NewProject();

        await store.Append(StreamAddress.Cluster($"project/{name}"), At(new ProjectCreated(name, "Quant research", null), 0, "admin@example.com"));

        var projects = await store.Services.GetRequiredService<IProjectCatalog>().ListAsync();
        projects.Should().ContainSingle(p => p.Name == name)
            .Which.Should().BeEquivalentTo(new ProjectView(name, "Quant research", null, T0, "admin@example.com"));
    }

    [Fact]
    public async Task Every_registered_version_is_one_document_and_listings_stay_within_their_project_and_domain()
    {
        var (quant, vision) = (NewProject(), NewProject());

        await store.Append(Definition(quant, "task", "train-model"),
            At(new TaskVersionRegistered(quant, "development", "train-model", "v1", "{}", "h1"), 0),
            At(new TaskVersionRegistered(quant, "development", "train-model", "v2", "{}", "h2"), 5, "bob@example.com"));
        await store.Append(Definition(quant, "workflow", "train-alpha"),
            At(new WorkflowVersionRegistered(quant, "development", "train-alpha", "v3", "{}", "h3", s_noPins), 6));
        await store.Append(Definition(vision, "task", "train-model"),
            At(new TaskVersionRegistered(vision, "development", "train-model", "v9", "{}", "h9"), 7));

        var catalog = store.Services.GetRequiredService<IDefinitionCatalog>();
        (await catalog.ListNamesAsync(DefinitionKinds.Task, quant, "development"))
            .Should().Equal(new DefinitionNameEntry("train-model", "v2", 2, T0.AddMinutes(5)));
        (await catalog.ListNamesAsync(DefinitionKinds.Workflow, quant, "development"))
            .Should().Equal(new DefinitionNameEntry("train-alpha", "v3", 1, T0.AddMinutes(6)));
        (await catalog.ListNamesAsync(DefinitionKinds.Task, vision, "development"))
            .Should().Equal(new DefinitionNameEntry("train-model", "v9", 1, T0.AddMinutes(7)));
        (await store.Load<DefinitionVersionDocument>($"task/{quant}/development/train-model/v2")).Should().BeEquivalentTo(new
        {
            Kind = DefinitionKinds.Task, Project = quant, Domain = "development", Name = "train-model", Version = "v2", ContentHash = "h2",
            RegisteredAt = T0.AddMinutes(5), RegisteredBy = "bob@example.com",
        });
    }

    private static string NewProject() => $"reg-{Guid.NewGuid().ToString("N")[..8]}";

    private static StreamAddress Definition(string project, string kind, string name) =>
        new(StreamAddress.TenantOf(project, "development"), $"{kind}/{project}/development/{name}");
}
