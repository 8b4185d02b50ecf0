using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Flyte.Abstractions.Audit;
using Orleans.Flyte.Abstractions.Registry;
using Orleans.Flyte.Api.Auth;
using Orleans.Flyte.Api.Http;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Identity;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Api.Audit;

/// <summary>
/// Audit replay (issue 13): a domain's or the cluster's history in commit order, its hash chains verified, and a digest of
/// it to keep elsewhere. The cluster routes need <c>read</c> on the cluster (auditor, cluster-admin); the domain routes
/// <c>read</c> on that domain, so everyone who may see a domain may see and check its history.
/// </summary>
/// <summary>What resolving a project/domain named in a query or body needs, bound with <c>[AsParameters]</c>.</summary>
public readonly record struct ProjectLookup(IClusterClient Grains, IOptions<FlyteOptions> Options);

public static class AuditApi
{
    public const string NdJson = "application/x-ndjson";
    private const int DefaultPageSize = 100;
    private const int MaxPageSize = 1000;
    private const int MaxCursorLength = 1024;

    /// <summary>The stream kinds a filter may name, with the key prefix of their streams.</summary>
    private static readonly Dictionary<string, string> s_domainKinds = new(StringComparer.Ordinal)
    {
        ["execution"] = "execution/",
        ["task"] = "task/",
        ["workflow"] = "workflow/",
        ["launchplan"] = "launchplan/",
    };

    private static readonly Dictionary<string, string> s_clusterKinds = new(StringComparer.Ordinal)
    {
        ["project"] = "project/",
        ["gpu-node"] = "gpu/node/",
        ["gpu-allocator"] = "gpu/allocator",
        ["role-bindings"] = "access/",
        ["tokens"] = "tokens/",
    };

    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        var domain = routes.MapDomainGroup(string.Empty).WithTags("Audit").Requires(Permission.Read);
        domain.MapGet("/history", GetDomainHistory).WithName(nameof(GetDomainHistory))
            .WithSummary("Every event of the domain in commit order, with who, when, which request and why; filters, cursor paging, or Accept: application/x-ndjson for an export.");
        domain.MapGet("/audit/digest", GetDomainDigest).WithName(nameof(GetDomainDigest))
            .WithSummary("A digest over every stream head of the domain and its global position, to keep elsewhere.");
        domain.MapPost("/audit/verify", VerifyDomain).WithName(nameof(VerifyDomain))
            .WithSummary("Recompute every hash chain of the domain; with a saved digest, also find deleted streams and truncated tails. A verify longer than half of Flyte:RequestTimeout answers with the part done and 'next': send the request again with that cursor.");

        var cluster = routes.MapGroup("/api/v1").WithTags("Audit").Requires(Permission.Read);
        cluster.MapGet("/history", GetClusterHistory).WithName(nameof(GetClusterHistory))
            .WithSummary("Every event of the cluster-wide streams (projects, GPU nodes, the allocator, role bindings, tokens) in commit order.");
        cluster.MapGet("/audit/digest", GetDigest).WithName(nameof(GetDigest))
            .WithSummary("A digest of the cluster-wide streams, or of a domain with ?project=&domain=.");
        cluster.MapPost("/audit/verify", Verify).WithName(nameof(Verify))
            .WithSummary("Recompute every hash chain of the cluster-wide streams (with the allocator's lease audit) or of a domain named in the body; in parts with 'next' as a cursor when it would not fit in one request.");
        return routes;
    }

    public static Task<Results<Ok<HistoryPage>, PushStreamHttpResult, ValidationProblem>> GetDomainHistory(
        string project, string domain, HttpContext http, IAuditLog audit, DateTimeOffset? from, DateTimeOffset? to, string? kind, string? principal,
        string? correlationId, string? cursor, int? limit) =>
        History(StreamAddress.TenantOf(project, domain), s_domainKinds, http, audit, from, to, kind, principal, correlationId, cursor, limit);

    public static Task<Results<Ok<HistoryPage>, PushStreamHttpResult, ValidationProblem>> GetClusterHistory(
        HttpContext http, IAuditLog audit, DateTimeOffset? from, DateTimeOffset? to, string? kind, string? principal, string? correlationId, string? cursor, int? limit) =>
        History(StreamAddress.ClusterTenant, s_clusterKinds, http, audit, from, to, kind, principal, correlationId, cursor, limit);

    public static async Task<Ok<AuditDigest>> GetDomainDigest(string project, string domain, IAuditLog audit, CancellationToken cancellationToken) =>
        TypedResults.Ok(await audit.DigestAsync(StreamAddress.TenantOf(project, domain), cancellationToken));

    public static async Task<Results<Ok<AuditDigest>, ValidationProblem, ProblemHttpResult>> GetDigest(
        string? project, string? domain, IAuditLog audit, [AsParameters] ProjectLookup projects, CancellationToken cancellationToken) =>
        await TenantOf(project, domain, projects, cancellationToken) switch
        {
            (null, { } invalid, _) => invalid,
            (null, _, { } missing) => missing,
            ({ } tenant, _, _) => TypedResults.Ok(await audit.DigestAsync(tenant, cancellationToken)),
            _ => throw new InvalidOperationException("unreachable"),
        };

    public static Task<Results<Ok<VerifyReport>, ValidationProblem, ProblemHttpResult>> VerifyDomain(
        string project, string domain, VerifyRequest? request, IAuditLog audit, [AsParameters] ProjectLookup projects, CancellationToken cancellationToken) =>
        request is { Project: not null } or { Domain: not null }
            ? Task.FromResult<Results<Ok<VerifyReport>, ValidationProblem, ProblemHttpResult>>(Problems.InvalidSpec(
                [new SpecError("/project", "the route names the domain; leave project and domain out of the body")], "The request is not valid."))
            : Verify(new VerifyRequest(project, domain, request?.Digest, request?.Cursor), audit, projects, cancellationToken);

    public static async Task<Results<Ok<VerifyReport>, ValidationProblem, ProblemHttpResult>> Verify(
        VerifyRequest? request, IAuditLog audit, [AsParameters] ProjectLookup projects, CancellationToken cancellationToken)
    {
        var (tenant, invalid, missing) = await TenantOf(request?.Project, request?.Domain, projects, cancellationToken);
        if (tenant is null)
        {
            return invalid is not null ? invalid : missing!;
        }

        var digest = request?.Digest;
        if (digest is not null && !string.Equals(digest.Scope, ScopeText(tenant), StringComparison.Ordinal))
        {
            return Problems.InvalidSpec(
                [new SpecError("/digest/scope", $"the digest is of '{digest.Scope}', the verify of '{ScopeText(tenant)}': verify a digest against the scope it was taken of")],
                "The request is not valid.");
        }

        if (request?.Cursor is { } cursor && (cursor.Length is 0 or > MaxCursorLength || cursor.Any(char.IsControl)))
        {
            return Problems.InvalidSpec([new SpecError("/cursor", "the cursor is not one this API returned; send the 'next' of the previous answer")], "The request is not valid.");
        }

        // Half the request's time bound: the walk stops between groups of streams once it is spent, and the answer (with the
        // key to go on from) is written well before the deadline filter would give up on the call.
        var budget = projects.Options.Value.RequestTimeout / 2;
        return TypedResults.Ok(await audit.VerifyAsync(tenant, digest, request?.Cursor, budget, cancellationToken));
    }

    private static string ScopeText(string tenant) => tenant == StreamAddress.ClusterTenant ? "cluster" : tenant;

    private static async Task<(string? Tenant, ValidationProblem? Invalid, ProblemHttpResult? Missing)> TenantOf(
        string? project, string? domain, ProjectLookup projects, CancellationToken cancellationToken)
    {
        if (project is null && domain is null)
        {
            return (StreamAddress.ClusterTenant, null, null);
        }

        if (project is null || domain is null)
        {
            return (null, Problems.InvalidSpec([new SpecError(project is null ? "project" : "domain", "name both project and domain, or neither for the cluster-wide streams")], "The request is not valid."), null);
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (!projects.Options.Value.Domains.Contains(domain, StringComparer.Ordinal))
        {
            return (null, null, Problems.NotFound($"Domain '{domain}' does not exist. Domains are: {string.Join(", ", projects.Options.Value.Domains)}."));
        }

        return Names.Dns1123LabelError(project) is not null || await projects.Grains.GetGrain<IProjectGrain>(project).Get() is null
            ? (null, null, Problems.NotFound(ProjectScopeFilter.ProjectNotFound(project)))
            : (StreamAddress.TenantOf(project, domain), null, null);
    }

    private static async Task<Results<Ok<HistoryPage>, PushStreamHttpResult, ValidationProblem>> History(
        string tenant, Dictionary<string, string> kinds, HttpContext http, IAuditLog audit, DateTimeOffset? from, DateTimeOffset? to, string? kind,
        string? principal, string? correlationId, string? cursor, int? limit)
    {
        var errors = new List<SpecError>();
        var prefixes = new List<string>();
        foreach (var name in (kind ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (kinds.TryGetValue(name, out var prefix))
            {
                prefixes.Add(prefix);
            }
            else
            {
                errors.Add(new SpecError("kind", $"'{name}' is not a stream kind here; kinds are {string.Join(", ", kinds.Keys)}"));
            }
        }

        long after = 0;
        if (cursor is not null && (!long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out after) || after < 0))
        {
            errors.Add(new SpecError("cursor", "the cursor is not one this API returned; start without it"));
        }

        var export = http.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(NdJson, StringComparison.OrdinalIgnoreCase));
        if (limit is { } size && (size < 1 || size > MaxPageSize) && !(export && size >= 1))
        {
            errors.Add(new SpecError("limit", $"limit must be between 1 and {MaxPageSize}"));
        }

        if (from is not null && to is not null && from >= to)
        {
            errors.Add(new SpecError("to", "to must be after from"));
        }

        if (errors.Count > 0)
        {
            return Problems.InvalidSpec(errors, "The query is not valid.");
        }

        if (export)
        {
            // The whole range (or the first `limit` events), one JSON object per line, read and written one row at a time.
            var query = new HistoryQuery(tenant, after, limit, from, to, prefixes, principal, correlationId);
            var json = http.RequestServices.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions>>().Value.SerializerOptions;
            return TypedResults.Stream(async body =>
            {
                var newline = "\n"u8.ToArray();
                var written = 0;
                await foreach (var entry in audit.HistoryAsync(query, http.RequestAborted))
                {
                    await JsonSerializer.SerializeAsync(body, entry, json, http.RequestAborted);
                    await body.WriteAsync(newline, http.RequestAborted);
                    if (++written % 500 == 0)
                    {
                        await body.FlushAsync(http.RequestAborted);
                    }
                }
            }, NdJson);
        }

        var pageSize = limit ?? DefaultPageSize;
        var items = new List<HistoryEntry>(pageSize + 1);
        await foreach (var entry in audit.HistoryAsync(new HistoryQuery(tenant, after, pageSize + 1, from, to, prefixes, principal, correlationId), http.RequestAborted))
        {
            items.Add(entry);
        }

        var next = items.Count > pageSize ? items[pageSize - 1].Sequence.ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new HistoryPage(items.Take(pageSize).ToList(), next));
    }
}
