using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests.Identity;

/// <summary>
/// Every operation of the OpenAPI document, crossed with every kind of caller (each role, bound on the request's own
/// project/domain or on another, by subject, by group or as an API token; no token, an expired one, one for another
/// audience, a forged one, a revoked API token), expects exactly the answer the rules below say: zero escapes. The rules
/// are this test's own table, so an operation added without a rule here fails, and so does one whose enforcement differs.
/// </summary>
public sealed class AuthorizationMatrixTests(IdentityPlatform platform) : IClassFixture<IdentityPlatform>, IAsyncLifetime
{
    private const string Own = "alpha";
    private const string Foreign = "beta";
    private const string OwnDomain = "development";
    private const string ForeignDomain = "production";

    private enum Need
    {
        SignedIn,
        Read,
        Submit,
        Administer,
        ManageCluster,
    }

    /// <summary>What each operation needs: the test's own statement of the access model (README, Identity and access).</summary>
    private static readonly Dictionary<string, Need> s_rules = new(StringComparer.Ordinal)
    {
        ["CreateProject"] = Need.ManageCluster,
        ["ListProjects"] = Need.SignedIn,
        ["GetProject"] = Need.Read,
        ["ListDomains"] = Need.Read,
        ["RegisterTask"] = Need.Submit,
        ["ListTasks"] = Need.Read,
        ["ListTaskVersions"] = Need.Read,
        ["GetTaskVersion"] = Need.Read,
        ["RegisterWorkflow"] = Need.Submit,
        ["ListWorkflows"] = Need.Read,
        ["ListWorkflowVersions"] = Need.Read,
        ["GetWorkflowVersion"] = Need.Read,
        ["CreateExecution"] = Need.Submit,
        ["UploadArtifact"] = Need.Submit,
        ["DownloadArtifact"] = Need.Read,
        ["ListExecutions"] = Need.Read,
        ["GetExecution"] = Need.Read,
        ["AbortExecution"] = Need.Submit,
        ["RelaunchExecution"] = Need.Submit,
        ["RecoverExecution"] = Need.Submit,
        ["GetExecutionEvents"] = Need.Read,
        ["GetExecutionAudit"] = Need.Read,
        ["GetAttemptLogs"] = Need.Read,
        ["GetCapacity"] = Need.SignedIn,
        ["GetGpuNode"] = Need.SignedIn,
        ["CordonGpuNode"] = Need.ManageCluster,
        ["UncordonGpuNode"] = Need.ManageCluster,
        ["RemoveGpuNode"] = Need.ManageCluster,
        ["SetGpuQuota"] = Need.Administer,
        ["RemoveGpuQuota"] = Need.Administer,
        ["RegisterLaunchPlan"] = Need.Submit,
        ["ListLaunchPlans"] = Need.Read,
        ["GetLaunchPlan"] = Need.Read,
        ["GetLaunchPlanVersion"] = Need.Read,
        ["ActivateLaunchPlan"] = Need.Administer,
        ["DeactivateLaunchPlan"] = Need.Administer,
        ["ArchiveLaunchPlan"] = Need.Administer,
        ["RestoreLaunchPlan"] = Need.Administer,
        ["DeactivateWholeLaunchPlan"] = Need.Administer,
        ["ArchiveWholeLaunchPlan"] = Need.Administer,
        ["RestoreWholeLaunchPlan"] = Need.Administer,
        ["PauseLaunchPlan"] = Need.Administer,
        ["ResumeLaunchPlan"] = Need.Administer,
        ["TriggerLaunchPlan"] = Need.Submit,
        ["BackfillLaunchPlan"] = Need.Submit,
        ["CreateToken"] = Need.ManageCluster,
        ["ListTokens"] = Need.ManageCluster,
        ["RevokeToken"] = Need.ManageCluster,
        ["ListClusterRoleBindings"] = Need.Read,
        ["GrantClusterRole"] = Need.ManageCluster,
        ["RevokeClusterRole"] = Need.ManageCluster,
        ["ListProjectRoleBindings"] = Need.Read,
        ["GrantProjectRole"] = Need.Administer,
        ["RevokeProjectRole"] = Need.Administer,
        ["ListDomainRoleBindings"] = Need.Read,
        ["GrantDomainRole"] = Need.Administer,
        ["RevokeDomainRole"] = Need.Administer,
        ["GetDomainHistory"] = Need.Read,
        ["GetDomainDigest"] = Need.Read,
        ["VerifyDomain"] = Need.Read,
        ["GetClusterHistory"] = Need.Read,
        ["GetDigest"] = Need.Read,
        ["Verify"] = Need.Read,
    };

    private sealed record Target(string? Project, string? Domain);

    private sealed record Operation(string Id, HttpMethod Method, string Path);

    /// <summary>A caller: its bearer token, and whether the model allows it an operation's need on a target.</summary>
    private sealed record Caller(string Name, string? Bearer, Func<Need, Target, bool>? Allowed);

    public async Task InitializeAsync()
    {
        await platform.CreateProject(Own);
        await platform.CreateProject(Foreign);
        await platform.Grant("dev-viewer", "viewer", Own, OwnDomain);
        await platform.Grant("dev-submitter", "submitter", Own, OwnDomain);
        await platform.Grant("dev-admin", "admin", Own, OwnDomain);
        await platform.Grant("group:alpha-admins", "admin", Own);
        await platform.Grant("auditor-1", "auditor");
        await platform.Grant("root-1", "cluster-admin");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Every_operation_answers_every_caller_as_the_access_model_says_with_zero_escapes()
    {
        var operations = await Operations();
        operations.Select(o => o.Id).Should().BeEquivalentTo(s_rules.Keys, "every operation of the API needs an access rule in this test, and every rule an operation");

        var callers = await Callers();
        var escapes = new List<string>();
        var checkedRequests = 0;
        await Task.WhenAll(callers.Select(async caller =>
        {
            using var client = platform.As(caller.Bearer);
            foreach (var operation in operations)
            {
                foreach (var target in Targets(operation.Path))
                {
                    var response = await Send(client, operation, target);
                    var problem = await Check(caller, operation, target, response);
                    lock (escapes)
                    {
                        checkedRequests++;
                        if (problem is not null)
                        {
                            escapes.Add($"{caller.Name} {operation.Method} {Path(operation.Path, target)} ({operation.Id}): {problem}");
                        }
                    }
                }
            }
        }));

        escapes.Should().BeEmpty();
        checkedRequests.Should().BeGreaterThan(s_rules.Count * callers.Count);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/docs")]
    [InlineData("/metrics")]
    public async Task Probes_the_API_description_the_reference_page_and_metrics_need_no_token(string path)
    {
        using var anonymous = platform.As(null);

        var response = await anonymous.GetAsync(new Uri(path, UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    private async Task<List<Caller>> Callers()
    {
        var idp = platform.Provider;
        var (submitterToken, _) = await platform.CreateToken("matrix-submitter");
        await platform.Grant("token:matrix-submitter", "submitter", Own, OwnDomain);
        var (revokedToken, revokedId) = await platform.CreateToken("matrix-revoked");
        await platform.Grant("token:matrix-revoked", "cluster-admin");
        await platform.Revoke(revokedId);
        using var forger = RSA.Create(2048);

        return
        [
            new("cluster-admin", idp.Token("root-1"), (_, _) => true),
            new("auditor", idp.Token("auditor-1"), (need, _) => need is Need.SignedIn or Need.Read),
            new("viewer of alpha/development", idp.Token("dev-viewer"), OnOwnDomain(Need.Read)),
            new("submitter of alpha/development", idp.Token("dev-submitter"), OnOwnDomain(Need.Read, Need.Submit)),
            new("admin of alpha/development", idp.Token("dev-admin"), OnOwnDomain(Need.Read, Need.Submit, Need.Administer)),
            new("API token, submitter of alpha/development", submitterToken, OnOwnDomain(Need.Read, Need.Submit)),
            new("group alpha-admins, admin of project alpha", idp.Token("carol", groups: ["alpha-admins", "unrelated"]), OnOwnProject(Need.Read, Need.Submit, Need.Administer)),
            new("signed in without bindings", idp.Token("nobody"), (need, _) => need is Need.SignedIn),
            new("no token", null, null),
            new("expired JWT", idp.Token("root-1", expires: DateTimeOffset.UtcNow.AddMinutes(-5)), null),
            new("JWT for another audience", idp.Token("root-1", audience: "another-service"), null),
            new("JWT signed by another key", idp.Token("root-1", signingKey: forger), null),
            new("revoked API token", revokedToken, null),
            new("malformed API token", "oft_0123456789abcdef_" + new string('A', 43), null),
        ];
    }

    /// <summary>Bound on alpha/development: those needs there, and reading project alpha itself (it works in it).</summary>
    private static Func<Need, Target, bool> OnOwnDomain(params Need[] granted) => (need, target) =>
        need is Need.SignedIn
        || (target.Project == Own && target.Domain == OwnDomain && granted.Contains(need))
        || (target.Project == Own && target.Domain is null && need is Need.Read);

    private static Func<Need, Target, bool> OnOwnProject(params Need[] granted) => (need, target) =>
        need is Need.SignedIn || (target.Project == Own && granted.Contains(need));

    private static async Task<string?> Check(Caller caller, Operation operation, Target target, HttpResponseMessage response)
    {
        var status = response.StatusCode;
        var body = await response.Content.ReadAsStringAsync();
        if (caller.Allowed is null)
        {
            return status == HttpStatusCode.Unauthorized && response.Headers.WwwAuthenticate.Any(h => h.Scheme == "Bearer")
                ? null
                : $"expected 401 with WWW-Authenticate: Bearer, got {(int)status} {body}";
        }

        var need = s_rules[operation.Id];
        if (caller.Allowed(need, target))
        {
            return status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden ? $"expected to be let through, got {(int)status} {body}" : null;
        }

        if (status != HttpStatusCode.Forbidden)
        {
            return $"expected 403, got {(int)status} {body}";
        }

        var problem = JsonNode.Parse(body)!.AsObject();
        var permission = need switch
        {
            Need.Read => "read",
            Need.Submit => "submit",
            Need.Administer => "administer",
            _ => "manage-cluster",
        };
        return problem["permission"]?.GetValue<string>() == permission && problem["detail"]!.GetValue<string>().Contains(ScopeText(target), StringComparison.Ordinal)
            ? null
            : $"expected a 403 naming '{permission}' and {ScopeText(target)}, got {body}";
    }

    private static string ScopeText(Target target) =>
        target.Project is null ? "cluster" : target.Domain is null ? $"project {target.Project}" : $"project {target.Project}, domain {target.Domain}";

    private async Task<List<Operation>> Operations()
    {
        using var anonymous = platform.As(null);
        var document = (await anonymous.GetFromJsonAsync<JsonObject>(new Uri("/openapi/v1.json", UriKind.Relative)))!;
        return
        [
            .. document["paths"]!.AsObject().SelectMany(path => path.Value!.AsObject()
                .Where(method => method.Value is JsonObject { } op && op["operationId"] is not null)
                .Select(method => new Operation(method.Value!["operationId"]!.GetValue<string>(), new HttpMethod(method.Key.ToUpperInvariant()), path.Key))),
        ];
    }

    private static IEnumerable<Target> Targets(string path) =>
        path.Contains("{domain}", StringComparison.Ordinal) ? [new(Own, OwnDomain), new(Foreign, OwnDomain), new(Own, ForeignDomain)]
        : path.Contains("{project}", StringComparison.Ordinal) ? [new(Own, null), new(Foreign, null)]
        : [new(null, null)];

    /// <summary>Placeholders filled with names that exist (project, domain) or harmlessly do not (everything else), so an
    /// allowed request changes nothing: it fails validation or finds nothing.</summary>
    private static string Path(string template, Target target) => template
        .Replace("{project}", target.Project, StringComparison.Ordinal)
        .Replace("{domain}", target.Domain, StringComparison.Ordinal)
        .Replace("{id}", "nosuchexecution00000", StringComparison.Ordinal)
        .Replace("{name}", "no-such-name", StringComparison.Ordinal)
        .Replace("{version}", "v0", StringComparison.Ordinal)
        .Replace("{node}", "no-such-node", StringComparison.Ordinal)
        .Replace("{resource}", "gpu", StringComparison.Ordinal)
        .Replace("{attempt}", "1", StringComparison.Ordinal);

    private static async Task<HttpResponseMessage> Send(HttpClient client, Operation operation, Target target)
    {
        using var request = new HttpRequestMessage(operation.Method, new Uri(Path(operation.Path, target), UriKind.Relative));
        if (operation.Method == HttpMethod.Post || operation.Method == HttpMethod.Put)
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request);
    }
}
