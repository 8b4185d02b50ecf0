using Microsoft.AspNetCore.Http;
using Orleans.Flyte.Abstractions.Registry;

namespace Orleans.Flyte.Api.Http;

/// <summary>
/// What a request is about: a project that exists and, under <c>/domains/{domain}</c>, one of its domains. Set by
/// <see cref="ProjectScopeFilter"/> before any handler of a scoped route group runs, so authorization (which asks
/// "may this principal do that in P/D?") and handlers read it from one place.
/// </summary>
/// <param name="Domain">Null on routes about the project as a whole.</param>
public sealed record ProjectScope(ProjectView Project, string? Domain)
{
    public string ProjectName => Project.Name;
}

public static class ProjectScopeExtensions
{
    /// <summary>The scope <see cref="ProjectScopeFilter"/> established for this request.</summary>
    /// <exception cref="InvalidOperationException">The endpoint's route group has no scope filter: a wiring mistake.</exception>
    public static ProjectScope ProjectScope(this HttpContext context) =>
        context.Features.Get<ProjectScope>()
        ?? throw new InvalidOperationException($"{context.Request.Path} has no project scope: its route group lacks {nameof(ProjectScopeFilter)}.");
}
