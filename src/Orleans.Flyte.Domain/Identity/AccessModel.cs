namespace Orleans.Flyte.Domain.Identity;

/// <summary>What an endpoint asks of its caller. Each role grants a fixed set (<see cref="Roles.Grants"/>).</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Roles grant permissions: the 403 problems and the docs use that word.")]
public enum Permission
{
    /// <summary>Read definitions, executions, launch plans, logs and history.</summary>
    Read,

    /// <summary>Register tasks, workflows and launch plans; submit, abort, relaunch and recover executions; trigger and backfill.</summary>
    Submit,

    /// <summary>Activate, deactivate, archive, restore, pause and resume launch plans; set quotas; manage the scope's role bindings.</summary>
    Administer,

    /// <summary>Manage projects, GPU nodes, API tokens and cluster-wide role bindings.</summary>
    ManageCluster,
}

/// <summary>The roles a principal can be bound to. viewer &lt; submitter &lt; admin on a scope; auditor and cluster-admin
/// are cluster-wide only.</summary>
public static class Roles
{
    public const string Viewer = "viewer";
    public const string Submitter = "submitter";
    public const string Admin = "admin";
    public const string Auditor = "auditor";
    public const string ClusterAdmin = "cluster-admin";

    public static readonly IReadOnlyList<string> All = [Viewer, Submitter, Admin, Auditor, ClusterAdmin];

    public static bool Exists(string role) => All.Contains(role, StringComparer.Ordinal);

    /// <summary>Auditor and cluster-admin mean "everywhere": bound on a project they would mean something else than they say.</summary>
    public static bool ClusterOnly(string role) => role is Auditor or ClusterAdmin;

    public static bool Grants(string role, Permission permission) => (role, permission) switch
    {
        (ClusterAdmin, _) => true,
        (Auditor, Permission.Read) => true,
        (Admin, Permission.Read or Permission.Submit or Permission.Administer) => true,
        (Submitter, Permission.Read or Permission.Submit) => true,
        (Viewer, Permission.Read) => true,
        _ => false,
    };

    /// <summary>The permission's name as requests and problem details spell it.</summary>
    public static string Name(Permission permission) => permission switch
    {
        Permission.Read => "read",
        Permission.Submit => "submit",
        Permission.Administer => "administer",
        Permission.ManageCluster => "manage-cluster",
        _ => throw new ArgumentOutOfRangeException(nameof(permission), permission, null),
    };
}

/// <summary>Where a role binding applies: the whole cluster, a project (all its domains), or one project/domain.</summary>
[GenerateSerializer, Immutable, Alias("flyte.AccessScope")]
public sealed record AccessScope([property: Id(0)] string? Project, [property: Id(1)] string? Domain)
{
    public static readonly AccessScope Cluster = new(null, null);

    public static AccessScope Of(string? project, string? domain) =>
        project is null ? Cluster : new AccessScope(project, domain);

    public bool IsCluster => Project is null;

    /// <summary>Whether a binding on this scope applies to <paramref name="target"/>: the cluster covers everything, a
    /// project covers itself and its domains, a project/domain only itself.</summary>
    public bool Covers(AccessScope target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Project is null
            || (string.Equals(Project, target.Project, StringComparison.Ordinal)
                && (Domain is null || string.Equals(Domain, target.Domain, StringComparison.Ordinal)));
    }

    /// <summary><c>cluster</c>, <c>project alpha</c> or <c>project alpha, domain production</c>.</summary>
    public override string ToString() =>
        Project is null ? "cluster" : Domain is null ? $"project {Project}" : $"project {Project}, domain {Domain}";
}

/// <summary>A role bound to a principal (an authenticated subject such as <c>alice</c> or <c>token:ci</c>, or an OIDC
/// group as <c>group:ml-team</c>) on a scope, with who granted it, when and why.</summary>
[GenerateSerializer, Immutable, Alias("flyte.RoleBinding")]
public sealed record RoleBinding(
    [property: Id(0)] string Principal,
    [property: Id(1)] string Role,
    [property: Id(2)] AccessScope Scope,
    [property: Id(3)] string GrantedBy,
    [property: Id(4)] DateTimeOffset GrantedAt,
    [property: Id(5)] string? Reason)
{
    public const string GroupPrefix = "group:";

    public bool Binds(string principal, string role, AccessScope scope) =>
        string.Equals(Principal, principal, StringComparison.Ordinal) && string.Equals(Role, role, StringComparison.Ordinal) && Scope == scope;
}

/// <summary>
/// The one rule that decides: a caller (its subject and its groups) may use a permission on a scope when one of its
/// bindings grants the permission on a scope that covers the target. Reading a project itself (not a domain's contents)
/// is allowed to anyone bound somewhere inside it, so a domain's viewer can see the project it works in.
/// </summary>
public static class AccessRules
{
    public static IEnumerable<RoleBinding> Of(IEnumerable<RoleBinding> bindings, string subject, IEnumerable<string> groups)
    {
        var names = new HashSet<string>(groups.Select(g => RoleBinding.GroupPrefix + g), StringComparer.Ordinal) { subject };
        return bindings.Where(b => names.Contains(b.Principal));
    }

    public static bool Allows(IEnumerable<RoleBinding> callerBindings, Permission permission, AccessScope target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return callerBindings.Any(b => Roles.Grants(b.Role, permission)
            && (b.Scope.Covers(target)
                || (permission == Permission.Read && target is { Project: not null, Domain: null }
                    && string.Equals(b.Scope.Project, target.Project, StringComparison.Ordinal))));
    }
}
