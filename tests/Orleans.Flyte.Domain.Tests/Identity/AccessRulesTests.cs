using Orleans.Flyte.Domain.Identity;

namespace Orleans.Flyte.Domain.Tests.Identity;

public sealed class AccessRulesTests
{
    private static readonly DateTimeOffset s_at = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private static RoleBinding Bound(string principal, string role, string? project = null, string? domain = null) =>
        new(principal, role, AccessScope.Of(project, domain), "root", s_at, null);

    [Theory]
    [InlineData("viewer", Permission.Read, true)]
    [InlineData("viewer", Permission.Submit, false)]
    [InlineData("submitter", Permission.Submit, true)]
    [InlineData("submitter", Permission.Administer, false)]
    [InlineData("admin", Permission.Administer, true)]
    [InlineData("admin", Permission.ManageCluster, false)]
    [InlineData("auditor", Permission.Read, true)]
    [InlineData("auditor", Permission.Submit, false)]
    [InlineData("cluster-admin", Permission.ManageCluster, true)]
    public void Roles_grant_their_permissions_and_nothing_above(string role, Permission permission, bool granted) =>
        Roles.Grants(role, permission).Should().Be(granted);

    [Fact]
    public void A_domain_binding_covers_only_its_domain_and_lets_its_holder_read_the_project_itself()
    {
        var bindings = new[] { Bound("alice", Roles.Submitter, "quant", "development") };

        AccessRules.Allows(bindings, Permission.Submit, AccessScope.Of("quant", "development")).Should().BeTrue();
        AccessRules.Allows(bindings, Permission.Read, AccessScope.Of("quant", "production")).Should().BeFalse();
        AccessRules.Allows(bindings, Permission.Read, AccessScope.Of("quant", null)).Should().BeTrue("the project it works in");
        AccessRules.Allows(bindings, Permission.Submit, AccessScope.Of("quant", null)).Should().BeFalse();
        AccessRules.Allows(bindings, Permission.Read, AccessScope.Of("payments", "development")).Should().BeFalse();
        AccessRules.Allows(bindings, Permission.Read, AccessScope.Cluster).Should().BeFalse();
    }

    [Fact]
    public void A_project_binding_covers_every_domain_and_the_cluster_binding_everything()
    {
        var project = new[] { Bound("group:quant-leads", Roles.Admin, "quant") };
        var cluster = new[] { Bound("bob", Roles.Auditor) };

        AccessRules.Allows(project, Permission.Administer, AccessScope.Of("quant", "production")).Should().BeTrue();
        AccessRules.Allows(project, Permission.Read, AccessScope.Of("risk", "production")).Should().BeFalse();
        AccessRules.Allows(cluster, Permission.Read, AccessScope.Of("risk", "production")).Should().BeTrue();
        AccessRules.Allows(cluster, Permission.Submit, AccessScope.Of("risk", "production")).Should().BeFalse("an auditor never writes");
    }

    [Fact]
    public void A_caller_is_bound_by_its_subject_and_by_each_of_its_groups()
    {
        var all = new[] { Bound("alice", Roles.Viewer, "quant"), Bound("group:ml", Roles.Admin, "risk"), Bound("group:other", Roles.Admin, "ops"), Bound("mallory", Roles.ClusterAdmin) };

        AccessRules.Of(all, "alice", ["ml"]).Select(b => b.Principal).Should().Equal("alice", "group:ml");
        AccessRules.Of(all, "group:other", []).Should().ContainSingle("a subject named like a group is still only that subject")
            .Which.Principal.Should().Be("group:other");
    }

    [Fact]
    public void Grants_and_revocations_fold_into_bindings_with_who_when_and_why()
    {
        var state = new AccessState();
        state.Apply(new RoleGranted("alice", Roles.Viewer, "quant", null) { Meta = new(s_at, "root", null, "onboarding") });
        state.Apply(new RoleGranted("alice", Roles.Viewer, "quant", null) { Meta = new(s_at.AddDays(1), "root", null, "again") });

        state.Bindings.Should().Equal(new RoleBinding("alice", Roles.Viewer, AccessScope.Of("quant", null), "root", s_at, "onboarding"));

        state.Apply(new RoleRevoked("alice", Roles.Viewer, "quant", null) { Meta = new(s_at.AddDays(2), "root", null, "left") });
        state.Bindings.Should().BeEmpty();
    }
}
