using System.CommandLine;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Views;

namespace Orleans.Flyte.Cli.Commands;

/// <summary><c>capacity</c>, <c>quota set|rm</c>, <c>node cordon|uncordon|drain</c>.</summary>
public static class GpuCommands
{
    public static Command Capacity(GlobalOptions globals)
    {
        var resource = new Option<string?>("--resource") { Description = "Only one resource: a GPU class (a100-40gb) or a MIG profile (mig-3g.20gb)", HelpName = "RESOURCE" };
        return new Command("capacity", "GPU nodes, GPUs and MIG slices with who holds each; the queue with positions and reasons; quotas.")
            .With(resource)
            .Runs(globals, async context =>
            {
                var filter = context.Get(resource);
                var capacity = await context.Api.Get("/api/v1/capacity" + (filter is null ? string.Empty : $"?resource={Uri.EscapeDataString(filter)}"), context.Cancellation);
                if (!context.Tables)
                {
                    context.Terminal.Data(capacity, context.Format);
                }
                else
                {
                    CapacityView.Show(context.Terminal, capacity);
                }

                return ExitCodes.Ok;
            });
    }

    public static Command Quota(GlobalOptions globals)
    {
        var resource = new Argument<string>("RESOURCE") { Description = "gpu (whole GPUs) or a MIG profile such as mig-3g.20gb" };
        var limit = new Argument<int>("LIMIT") { Description = "The most units the project/domain may hold at once (0..10000)" };
        var reason = ExecutionCommands.ReasonOption();
        var set = new Command("set", "Limit how many units of a resource the project/domain holds at once.").With(resource, limit, reason).Runs(globals, async context =>
        {
            var body = new JsonObject { ["limit"] = context.Get(limit) };
            if (context.Get(reason) is { } why)
            {
                body["reason"] = why;
            }

            var quota = await context.Api.Put($"{context.Scope}/quotas/{CliContext.Segment(context.Value(resource))}", body, context.Cancellation);
            if (!context.Tables)
            {
                context.Terminal.Data(quota, context.Format);
            }
            else
            {
                context.Terminal.Line($"quota {context.Project}/{context.Domain} {quota.Str("resource") ?? context.Get(resource)}: {quota.Str("used") ?? "0"} of {quota.Str("limit") ?? context.Get(limit).ToString(System.Globalization.CultureInfo.InvariantCulture)} in use");
            }

            return ExitCodes.Ok;
        });

        var removed = new Argument<string>("RESOURCE") { Description = "gpu or a MIG profile" };
        var remove = new Command("rm", "Remove the quota (a configured default, if any, applies again).").Alias("remove", "delete").With(removed).Runs(globals, async context =>
        {
            await context.Api.Delete($"{context.Scope}/quotas/{CliContext.Segment(context.Value(removed))}", context.Cancellation);
            if (context.Tables)
            {
                context.Terminal.Line($"quota {context.Project}/{context.Domain} {context.Get(removed)} removed");
            }

            return ExitCodes.Ok;
        });

        return new Command("quota", "GPU quotas of the project/domain.").Alias("quotas").With(set, remove);
    }

    public static Command Node(GlobalOptions globals) => new Command("node", "GPU nodes: stop or resume placing work on them.")
        .Alias("nodes")
        .With(
            NodeAction(globals, "cordon", "Place nothing new on the node; running tasks keep their GPUs.", "cordon", drain: false),
            NodeAction(globals, "uncordon", "The node takes new work again.", "uncordon", drain: false),
            NodeAction(globals, "drain", "Cordon the node for maintenance: nothing new is placed, running tasks finish.", "cordon", drain: true));

    private static Command NodeAction(GlobalOptions globals, string name, string description, string action, bool drain)
    {
        var node = new Argument<string>("NODE") { Description = "The GPU node's name (see: orleans-flyte capacity)" };
        var reason = ExecutionCommands.ReasonOption();
        return new Command(name, description).With(node, reason).Runs(globals, async context =>
        {
            var body = new JsonObject { ["drain"] = drain };
            if (context.Get(reason) is { } why)
            {
                body["reason"] = why;
            }

            var answer = await context.Api.Post($"/api/v1/gpu-nodes/{CliContext.Segment(context.Value(node))}/{action}", body, context.Cancellation);
            if (!context.Tables)
            {
                context.Terminal.Data(answer, context.Format);
                return ExitCodes.Ok;
            }

            // The node's answer carries its condition as the grain stores it; capacity names it as people read it.
            var capacity = await context.Api.Get("/api/v1/capacity", context.Cancellation);
            var seen = capacity.Items("nodes").FirstOrDefault(n => n.Str("name") == context.Get(node));
            var reasonText = seen.Str("reason") is { } r ? $" ({r})" : string.Empty;
            context.Terminal.Line($"node {context.Get(node)}: {seen.Str("condition") ?? name + "ed"}{reasonText}");
            return ExitCodes.Ok;
        });
    }
}
