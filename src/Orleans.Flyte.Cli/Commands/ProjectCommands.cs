using System.CommandLine;
using System.Text.Json.Nodes;

namespace Orleans.Flyte.Cli.Commands;

/// <summary><c>project create</c>: registering specs needs a project, and creating one is safe to repeat.</summary>
public static class ProjectCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var name = new Argument<string>("NAME") { Description = "A DNS-1123 label, e.g. quant-research" };
        var displayName = new Option<string?>("--display-name") { Description = "A name for people", HelpName = "TEXT" };
        var description = new Option<string?>("--description") { Description = "What the project is for", HelpName = "TEXT" };
        var create = new Command("create", "Create a project (idempotent); it has every domain (development, staging, production).")
            .With(name, displayName, description)
            .Runs(globals, async context =>
            {
                var body = new JsonObject { ["name"] = context.Get(name) };
                if (context.Get(displayName) is { } display)
                {
                    body["displayName"] = display;
                }

                if (context.Get(description) is { } text)
                {
                    body["description"] = text;
                }

                var project = await context.Api.Post("/api/v1/projects", body, context.Cancellation);
                if (!context.Tables)
                {
                    context.Terminal.Data(project, context.Format);
                }
                else
                {
                    context.Terminal.Line($"project {context.Get(name)} (domains: {string.Join(", ", Views.JsonFields.Items(project, "domains").Select(d => d.ToString()))})");
                }

                return ExitCodes.Ok;
            });
        return new Command("project", "Projects.").With(create);
    }
}
