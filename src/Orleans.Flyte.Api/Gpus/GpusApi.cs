using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Api.Registry;
using Orleans.Flyte.Domain.Executions;
using Orleans.Flyte.Domain.Gpus;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Gpus;

public sealed record NodeActionRequest(string? Reason, bool Drain = false);

public sealed record QuotaRequest(int? Limit, string? Reason);

/// <summary>GPU capacity (who holds what, who waits and why), node cordon/drain, and per project/domain quotas.</summary>
public static class GpusApi
{
    public const int MaxQuota = 10_000;

    public static IEndpointRouteBuilder MapGpusApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/api/v1/capacity", GetCapacity).WithTags("GPUs").WithName(nameof(GetCapacity))
            .WithSummary("Every GPU node, device and MIG slice, free or held and by whom; the waiting queue with positions and reasons; quotas.");

        var nodes = routes.MapGroup("/api/v1/gpu-nodes").WithTags("GPUs");
        nodes.MapGet("/{node}", GetNode).WithName("GetGpuNode").WithSummary("One GPU node: inventory, condition, source.");
        nodes.MapPost("/{node}/cordon", CordonNode).WithName("CordonGpuNode")
            .WithSummary("Nothing new is placed on the node (drain: true marks it for maintenance); running tasks keep their GPUs.");
        nodes.MapPost("/{node}/uncordon", UncordonNode).WithName("UncordonGpuNode").WithSummary("The node takes new work again.");
        nodes.MapDelete("/{node}", RemoveNode).WithName("RemoveGpuNode")
            .WithSummary("Takes a node out of the inventory (e.g. one a former inventory source listed); leases held there run to their end.");

        routes.MapPut("/api/v1/projects/{project}/domains/{domain}/quotas/{resource}", SetQuota).WithTags("GPUs").WithName("SetGpuQuota")
            .WithSummary("The most units of a resource (gpu, or a MIG profile such as mig-3g.20gb) the project/domain may hold at once.");
        routes.MapDelete("/api/v1/projects/{project}/domains/{domain}/quotas/{resource}", RemoveQuota).WithTags("GPUs").WithName("RemoveGpuQuota")
            .WithSummary("Removes the quota (the configured default, if any, applies again).");
        return routes;
    }

    public static async Task<IResult> GetCapacity(IClusterClient grains, string? resource)
    {
        var capacity = await Allocator(grains).GetCapacity();
        if (resource is null)
        {
            return TypedResults.Ok(capacity);
        }

        var wanted = GpuRequest.NormalizeProfile(resource) ?? resource.Trim().ToLowerInvariant();
        return TypedResults.Ok(capacity with
        {
            Resources = [.. capacity.Resources.Where(r => r.Resource == wanted)],
            Nodes = [.. capacity.Nodes
                .Select(n => n with
                {
                    Devices = [.. n.Devices
                        .Where(d => d.Mig ? d.Slices.Any(s => s.Profile == wanted) : d.DeviceClass == wanted)
                        .Select(d => d with { Slices = [.. d.Slices.Where(s => s.Profile == wanted)] })],
                })
                .Where(n => n.Devices.Count > 0)],
            Queue = [.. capacity.Queue.Where(q => q.Resource == wanted)],
        });
    }

    public static async Task<IResult> GetNode(string node, IClusterClient grains) =>
        await grains.GetGrain<IGpuNodeGrain>(node).Get() is { } view ? TypedResults.Ok(view) : UnknownNode(node);

    public static async Task<IResult> CordonNode(string node, NodeActionRequest? request, IClusterClient grains)
    {
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? (request?.Drain == true ? "drained" : "cordoned") + " through the API" : request!.Reason!.Trim();
        return await grains.GetGrain<IGpuNodeGrain>(node).Cordon(reason, request?.Drain ?? false) is { } view ? TypedResults.Ok(view) : UnknownNode(node);
    }

    public static async Task<IResult> UncordonNode(string node, NodeActionRequest? request, IClusterClient grains)
    {
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "uncordoned through the API" : request!.Reason!.Trim();
        return await grains.GetGrain<IGpuNodeGrain>(node).Uncordon(reason) is { } view ? TypedResults.Ok(view) : UnknownNode(node);
    }

    public static async Task<IResult> RemoveNode(string node, IClusterClient grains)
    {
        var grain = grains.GetGrain<IGpuNodeGrain>(node);
        if (await grain.Get() is null)
        {
            return UnknownNode(node);
        }

        await grain.Remove(GpuInventorySources.Admin);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> SetQuota(
        string project, string domain, string resource, QuotaRequest request, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var errors = new List<SpecError>();
        var normalized = NormalizeResource(resource, errors);
        if (request.Limit is not { } limit || limit < 0 || limit > MaxQuota)
        {
            errors.Add(new SpecError("/limit", $"give the most units held at once as a whole number from 0 to {MaxQuota}"));
        }

        if (errors.Count > 0)
        {
            return Problems.InvalidSpec(errors, "The quota is not valid.");
        }

        await Allocator(services.Grains).SetQuota(project, domain, normalized!, request.Limit, request.Reason);
        return TypedResults.Ok(Quota(await Allocator(services.Grains).GetCapacity(), project, domain, normalized!));
    }

    public static async Task<IResult> RemoveQuota(string project, string domain, string resource, [AsParameters] RegistryServices services)
    {
        if (await services.CheckScope(project, domain) is { } scopeError)
        {
            return scopeError;
        }

        var errors = new List<SpecError>();
        var normalized = NormalizeResource(resource, errors);
        if (errors.Count > 0)
        {
            return Problems.InvalidSpec(errors, "The quota is not valid.");
        }

        await Allocator(services.Grains).SetQuota(project, domain, normalized!, null, "removed through the API");
        return TypedResults.NoContent();
    }

    /// <summary>For a submission: one error per task node whose GPU request no node could ever satisfy.</summary>
    public static async Task<IReadOnlyList<SpecError>> UnsatisfiableGpuRequests(ExecutionPlan plan, IClusterClient grains)
    {
        var wanting = plan.Nodes
            .Select(n => (Node: n, Gpu: StoredSpec.Task(n.TaskSpec).Resources.Gpu))
            .Where(n => n.Gpu is not null)
            .ToList();
        if (wanting.Count == 0)
        {
            return [];
        }

        var verdicts = await Allocator(grains).Check([.. wanting.Select(n => new GpuShape(n.Gpu!.Profile, n.Gpu.DeviceClass, n.Gpu.Count))]);
        return [.. wanting.Zip(verdicts)
            .Where(v => v.Second is not null)
            .Select(v => new SpecError($"/workflow/nodes/{v.First.Node.Id}/resources/gpu", $"node '{v.First.Node.Id}' (task {v.First.Node.Task}): {v.Second}"))];
    }

    private static string? NormalizeResource(string resource, List<SpecError> errors)
    {
        if (string.Equals(resource, GpuResources.WholeGpu, StringComparison.OrdinalIgnoreCase))
        {
            return GpuResources.WholeGpu;
        }

        var profile = GpuRequest.NormalizeProfile(resource);
        if (profile is null)
        {
            errors.Add(new SpecError("/resource", $"'{resource}' is not a GPU resource; use 'gpu' for whole GPUs or a MIG profile such as mig-3g.20gb"));
        }

        return profile;
    }

    private static CapacityQuota? Quota(GpuCapacity capacity, string project, string domain, string resource) =>
        capacity.Quotas.FirstOrDefault(q => q.Project == project && q.Domain == domain && q.Resource == resource && !q.Default);

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult UnknownNode(string node) => Problems.NotFound($"GPU node '{node}' is not in the inventory.");

    private static IGpuAllocatorGrain Allocator(IClusterClient grains) => grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
}
