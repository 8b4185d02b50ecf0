using Microsoft.AspNetCore.Http;
using Orleans.Flyte.Domain.Identity;

namespace Orleans.Flyte.Api.Auth;

/// <summary>What the caller of this request may do: its name and the role bindings that apply to it (by subject or
/// group). Set on the request's features by <see cref="AccessControlMiddleware"/>; listings filter with it.</summary>
public sealed class CallerAccess(string principal, IReadOnlyList<RoleBinding> bindings, bool everything = false)
{
    /// <summary>Authentication is off (<see cref="AuthOptions.Enabled"/>): everything is allowed.</summary>
    public static readonly CallerAccess Unrestricted = new(Http.CallerContextMiddleware.AnonymousPrincipal, [], everything: true);

    public string Principal => principal;

    public IReadOnlyList<RoleBinding> Bindings => bindings;

    public bool Allows(Permission permission, AccessScope scope) => everything || AccessRules.Allows(bindings, permission, scope);

    public bool CanRead(string project, string? domain = null) => Allows(Permission.Read, AccessScope.Of(project, domain));
}

public static class CallerAccessExtensions
{
    /// <summary>The caller's access, set before any handler of an endpoint with a permission rule runs.</summary>
    public static CallerAccess CallerAccess(this HttpContext context) =>
        context.Features.Get<CallerAccess>()
        ?? throw new InvalidOperationException($"{context.Request.Path} has no caller access: its endpoint declares no {nameof(AccessRule)}.");
}
