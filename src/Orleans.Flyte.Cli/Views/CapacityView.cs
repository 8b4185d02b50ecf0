using System.Globalization;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Output;

namespace Orleans.Flyte.Cli.Views;

/// <summary>
/// "Who is using the big slice right now?": every resource's totals, every node and GPU unit with its holder, the
/// queue with positions and reasons, and the quotas.
/// </summary>
public static class CapacityView
{
    public static void Show(Terminal terminal, JsonNode capacity)
    {
        var resources = new Grid("resource", "total", "free", "held", "unavailable", "waiting");
        foreach (var r in capacity.Items("resources"))
        {
            resources.Add(r.Str("resource"), r.Str("total"), new Cell(r.Str("free") ?? "0", r.Long("free") > 0 ? "green" : "red"), r.Str("held"),
                r.Str("unavailable"), new Cell(r.Str("waiting") ?? "0", r.Long("waiting") > 0 ? "magenta" : null));
        }

        terminal.Table(resources, "Resources", "none");

        var nodes = new Grid("node", "condition", "reason");
        var units = new Grid("node", "gpu", "unit", "held by", "execution", "task", "since");
        foreach (var node in capacity.Items("nodes"))
        {
            var name = node.Str("name");
            nodes.Add(name, Styles.Phase(node.Str("condition")), node.Str("reason") ?? "-");
            foreach (var device in node.Items("devices"))
            {
                var index = device.Str("index");
                if (device.Bool("mig"))
                {
                    foreach (var slice in device.Items("slices"))
                    {
                        Unit(units, name, index, slice.Str("profile"), slice["heldBy"]);
                    }
                }
                else
                {
                    Unit(units, name, index, device.Str("deviceClass"), device["heldBy"]);
                }
            }
        }

        terminal.Line();
        terminal.Table(nodes, "Nodes", "none");
        terminal.Line();
        terminal.Table(units, "Units", "none");

        var queue = new Grid("pos", "request", "project", "execution", "task", "priority", "waiting since", "reason");
        foreach (var q in capacity.Items("queue"))
        {
            queue.Add(q.Str("position"), q.Str("request"), $"{q.Str("project")}/{q.Str("domain")}", q.Str("execution"),
                $"{q.Str("node")}#{q.Str("attempt")}", q.Str("priority"), JsonFields.When(q.Time("waitingSince")),
                new Cell(q["reason"].Str("message") ?? "-", "magenta"));
        }

        terminal.Line();
        terminal.Table(queue, "Queue", "empty");

        var quotas = new Grid("project", "domain", "resource", "used", "limit", "default");
        foreach (var q in capacity.Items("quotas"))
        {
            var full = q.Long("used") >= q.Long("limit");
            quotas.Add(q.Str("project"), q.Str("domain"), q.Str("resource"), new Cell(q.Str("used") ?? "0", full ? "red" : null), q.Str("limit"),
                q.Bool("default") ? "yes" : "no");
        }

        terminal.Line();
        terminal.Table(quotas, "Quotas", "none");
    }

    private static void Unit(Grid units, string? node, string? gpu, string? unit, JsonNode? holder)
    {
        if (holder is null)
        {
            units.Add(node, gpu, unit, Styles.Dim("free"), "-", "-", "-");
            return;
        }

        units.Add(node, gpu, unit, new Cell($"{holder.Str("project")}/{holder.Str("domain")}", "yellow"), holder.Str("execution"),
            $"{holder.Str("node")}#{holder.Long("attempt")?.ToString(CultureInfo.InvariantCulture)}", JsonFields.When(holder.Time("since")));
    }
}
