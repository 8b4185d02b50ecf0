using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Gpus;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.Identity;
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
        routes.MapGet("/api/v1/capacity", GetCapacity).WithTags("GPUs").WithName(nameof(GetCapacity)).RequiresSignIn()
            .WithSummary("Every GPU node, device and MIG slice, free or held and by whom; the waiting queue with positions and reasons; quotas. With ?asOf=<instant>, as it stood then (replayed from the allocator's stored events).");

        var nodes = routes.MapGroup("/api/v1/gpu-nodes").WithTags("GPUs").ProducesProblem(StatusCodes.Status404NotFound).Requires(Permission.ManageCluster);
        nodes.MapGet("/{node}", GetGpuNode).WithName(nameof(GetGpuNode)).RequiresSignIn().WithSummary("One GPU node: inventory, condition, source.");
        nodes.MapPost("/{node}/cordon", CordonGpuNode).WithName(nameof(CordonGpuNode))
            .WithSummary("Nothing new is placed on the node (drain: true marks it for maintenance); running tasks keep their GPUs.");
        nodes.MapPost("/{node}/uncordon", UncordonGpuNode).WithName(nameof(UncordonGpuNode)).WithSummary("The node takes new work again.");
        nodes.MapDelete("/{node}", RemoveGpuNode).WithName(nameof(RemoveGpuNode))
            .WithSummary("Takes a node out of the inventory (e.g. one a former inventory source listed); leases held there run to their end.");

        var quotas = routes.MapDomainGroup("/quotas").WithTags("GPUs").Requires(Permission.Administer);
        quotas.MapPut("/{resource}", SetGpuQuota).WithName(nameof(SetGpuQuota))
            .WithSummary("The most units of a resource (gpu, or a MIG profile such as mig-3g.20gb) the project/domain may hold at once.");
        quotas.MapDelete("/{resource}", RemoveGpuQuota).WithName(nameof(RemoveGpuQuota))
            .WithSummary("Removes the quota (the configured default, if any, applies again).");
        return routes;
    }

    /// <param name="asOf">Answer as capacity stood at this instant: the allocator's events up to then folded with the same
    /// state and view code as the live grain (audit replay), shown with the same visibility rules as the live answer.</param>
    public static async Task<Ok<GpuCapacity>> GetCapacity(
        IClusterClient grains, IAuditLog audit, HttpContext http, string? resource, DateTimeOffset? asOf, CancellationToken cancellationToken)
    {
        var answer = asOf is { } instant ? await audit.CapacityAsOfAsync(instant, cancellationToken) : await Allocator(grains).GetCapacity();
        var capacity = CapacityVisibility.For(http.CallerAccess(), answer);
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

    public static async Task<Results<Ok<GpuNodeView>, ProblemHttpResult>> GetGpuNode(string node, IClusterClient grains) =>
        await grains.GetGrain<IGpuNodeGrain>(node).Get() is { } view ? TypedResults.Ok(view) : UnknownNode(node);

    public static async Task<Results<Ok<GpuNodeView>, ProblemHttpResult>> CordonGpuNode(string node, NodeActionRequest? request, IClusterClient grains)
    {
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? (request?.Drain == true ? "drained" : "cordoned") + " through the API" : request.Reason.Trim();
        return await grains.GetGrain<IGpuNodeGrain>(node).Cordon(reason, request?.Drain ?? false) is { } view ? TypedResults.Ok(view) : UnknownNode(node);
    }

    public static async Task<Results<Ok<GpuNodeView>, ProblemHttpResult>> UncordonGpuNode(string node, NodeActionRequest? request, IClusterClient grains)
    {
        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "uncordoned through the API" : request.Reason.Trim();
        return await grains.GetGrain<IGpuNodeGrain>(node).Uncordon(reason) is { } view ? TypedResults.Ok(view) : UnknownNode(node);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveGpuNode(string node, IClusterClient grains)
    {
        var grain = grains.GetGrain<IGpuNodeGrain>(node);
        if (await grain.Get() is null)
        {
            return UnknownNode(node);
        }

        await grain.Remove(GpuInventorySources.Admin);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<CapacityQuota>, ValidationProblem>> SetGpuQuota(
        string project, string domain, string resource, QuotaRequest request, IClusterClient grains)
    {
        var errors = new List<SpecError>();
        var normalized = NormalizeResource(resource, errors);
        if (request.Limit is not { } limit || limit < 0 || limit > MaxQuota)
        {
            errors.Add(new SpecError("/limit", $"give the most units held at once as a whole number from 0 to {MaxQuota}"));
        }

        if (errors.Count > 0 || normalized is null)
        {
            return Problems.InvalidSpec(errors, "The quota is not valid.");
        }

        await Allocator(grains).SetQuota(project, domain, normalized, request.Limit, request.Reason);
        return TypedResults.Ok(Quota(await Allocator(grains).GetCapacity(), project, domain, normalized));
    }

    public static async Task<Results<NoContent, ValidationProblem>> RemoveGpuQuota(string project, string domain, string resource, IClusterClient grains)
    {
        var errors = new List<SpecError>();
        if (NormalizeResource(resource, errors) is not { } normalized)
        {
            return Problems.InvalidSpec(errors, "The quota is not valid.");
        }

        await Allocator(grains).SetQuota(project, domain, normalized, null, "removed through the API");
        return TypedResults.NoContent();
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

    private static ProblemHttpResult UnknownNode(string node) => Problems.NotFound($"GPU node '{node}' is not in the inventory.");

    private static IGpuAllocatorGrain Allocator(IClusterClient grains) => grains.GetGrain<IGpuAllocatorGrain>(IGpuAllocatorGrain.Key);
}
