namespace Orleans.Flyte.Api.Identity;

/// <param name="Name">A DNS-1123 label; the token acts as <c>token:NAME</c>. Never reused, even after revocation.</param>
/// <param name="Owner">Who answers for the token (default: the caller).</param>
/// <param name="ExpiresInDays">1 to 3650 (default 90).</param>
public sealed record CreateTokenRequest(string? Name, string? Owner, int? ExpiresInDays);

/// <param name="Token">The secret token, shown this once: it is stored only as a hash.</param>
public sealed record CreatedTokenResponse(
    string Id, string Name, string Principal, string Owner, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Token);

public sealed record TokenList(IReadOnlyList<Abstractions.Identity.ApiTokenView> Tokens);

/// <param name="Principal">A subject as the identity provider names it (<c>alice</c>), an API token (<c>token:ci</c>) or a
/// group (<c>group:ml-team</c>).</param>
/// <param name="Role">viewer, submitter or admin; on the cluster also auditor or cluster-admin.</param>
/// <param name="Reason">Recorded with the grant.</param>
public sealed record GrantRoleRequest(string? Principal, string? Role, string? Reason);

public sealed record RoleBindingResponse(
    string Principal, string Role, string? Project, string? Domain, string GrantedBy, DateTimeOffset GrantedAt, string? Reason);

public sealed record RoleBindingList(IReadOnlyList<RoleBindingResponse> Bindings);
