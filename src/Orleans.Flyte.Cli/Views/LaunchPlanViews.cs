using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Output;

namespace Orleans.Flyte.Cli.Views;

public static class LaunchPlanViews
{
    public static Grid List(JsonNode? list)
    {
        var grid = new Grid("name", "version", "state", "workflow", "schedule", "paused", "fired", "changed", "by");
        foreach (var item in list.Items("items"))
        {
            grid.Add(item.Str("name"), item.Str("version"), Styles.Phase(item.Str("state")), item.Str("workflow"), item.Str("schedule") ?? "-",
                item.Bool("paused") ? "yes" : "no", item.Str("fired"), JsonFields.When(item.Time("changedAt")), item.Str("changedBy"));
        }

        return grid;
    }

    /// <summary>A launch plan: the active version, whether its schedule runs, what comes next and what fired.</summary>
    public static void Show(Terminal terminal, JsonNode plan)
    {
        var active = plan.Str("activeVersion");
        var schedule = active is null ? "off (no active version)" : plan.Bool("paused") ? "paused" : plan.Items("nextFires").Count > 0 ? "running" : "none (manual launches only)";
        terminal.Fields(
        [
            ("Launch plan", $"{plan.Str("name")} ({plan.Str("project")}/{plan.Str("domain")})"),
            ("Active version", active ?? "-"),
            ("Schedule", new Cell(schedule, schedule == "running" ? "green" : schedule == "paused" ? "yellow" : "grey")),
            ("Fired", $"{plan.Str("fired")} (skipped {plan.Str("skipped")}, missed {plan.Str("missed")})"),
            ("Scheduled through", JsonFields.When(plan.Time("scheduledThrough"))),
            ("Next fires", plan.Items("nextFires").Count == 0 ? "-" : string.Join(", ", plan.Items("nextFires").Select(f => JsonFields.When(Time(f))))),
        ]);

        var versions = new Grid("version", "state", "workflow", "changed", "by", "reason");
        foreach (var version in plan.Items("versions"))
        {
            versions.Add(version.Str("version"), Styles.Phase(version.Str("state")), version.Str("workflow"), JsonFields.When(version.Time("changedAt")),
                version.Str("changedBy"), version.Str("changeReason") ?? "-");
        }

        terminal.Line();
        terminal.Table(versions, "Versions");

        var fires = new Grid("version", "scheduled at", "execution");
        foreach (var fire in plan.Items("recentFires"))
        {
            fires.Add(fire.Str("version"), JsonFields.When(fire.Time("scheduledAt")), fire.Str("executionId"));
        }

        terminal.Line();
        terminal.Table(fires, "Recent fires", "none");
    }

    public static void ShowVersion(Terminal terminal, string name, JsonNode version)
    {
        terminal.Fields(
        [
            ("Launch plan", $"{name}@{version.Str("version")}"),
            ("State", Styles.Phase(version.Str("state"))),
            ("Workflow", version.Str("workflow")),
            ("Hash", version.Str("contentHash")),
            ("Registered", $"{JsonFields.When(version.Time("registeredAt"))} by {version.Str("registeredBy")}"),
            ("Changed", $"{JsonFields.When(version.Time("changedAt"))} by {version.Str("changedBy")}{(version.Str("changeReason") is { } why ? $" ({why})" : string.Empty)}"),
        ]);
        terminal.Line();
        terminal.Line("Spec:");
        terminal.Out.Write(YamlJson.Serialize(version["spec"]));
    }

    private static DateTimeOffset? Time(JsonNode node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at)
            ? at
            : null;
}
