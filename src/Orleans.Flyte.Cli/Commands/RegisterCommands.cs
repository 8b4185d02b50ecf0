using System.CommandLine;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Orleans.Flyte.Cli.Http;
using Orleans.Flyte.Cli.Output;
using Orleans.Flyte.Cli.Specs;

namespace Orleans.Flyte.Cli.Commands;

/// <summary><c>register PATH...</c>: tasks, workflows and launch plans from files and directories, in dependency order.</summary>
public static class RegisterCommands
{
    public static Command Register(GlobalOptions globals) => Create("register",
        "Register task, workflow and launch plan specs from files or directories (tasks first, then workflows, then launch plans). Registering the same content again changes nothing.",
        globals, kinds: null);

    /// <summary><c>launchplan register</c>: the same, for launch plan specs only.</summary>
    public static Command RegisterLaunchPlans(GlobalOptions globals) => Create("register",
        "Register launch plan versions (inactive) from files or directories.", globals, kinds: [SpecKind.LaunchPlan]);

    private static Command Create(string name, string description, GlobalOptions globals, SpecKind[]? kinds)
    {
        var paths = new Argument<string[]>("PATH") { Description = "Spec files (.yaml, .yml, .json) or directories holding them", Arity = ArgumentArity.OneOrMore };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show what would be registered, in order, without sending anything" };
        return new Command(name, description).With(paths, dryRun).Runs(globals, async context =>
        {
            var specs = SpecFiles.Read(context.Get(paths) ?? [], context.WorkingDirectory);
            if (kinds is not null && specs.FirstOrDefault(s => !kinds.Contains(s.Kind)) is { } other)
            {
                throw new CliException($"{other.Source}: is a {other.KindName}, not a launch plan; register it with 'orleans-flyte register'");
            }

            var results = new List<(SpecSource Spec, string Result, JsonNode? Body)>();
            var failed = 0;
            foreach (var spec in specs)
            {
                if (context.Get(dryRun))
                {
                    results.Add((spec, "would register", null));
                    continue;
                }

                using var content = new StringContent(spec.Text, Encoding.UTF8, spec.MediaType);
                var response = await context.Api.Send(HttpMethod.Post, $"{context.Scope}/{spec.Collection}", content, null, context.Cancellation);
                var result = response.Status switch
                {
                    HttpStatusCode.Created => "created",
                    HttpStatusCode.OK => "unchanged",
                    HttpStatusCode.Conflict => "conflict",
                    HttpStatusCode.BadRequest => "invalid",
                    _ when response.IsSuccess => "registered",
                    _ => "failed",
                };
                if (!response.IsSuccess)
                {
                    failed++;
                    context.Terminal.Fail(ProblemText.ToException(response, $"{spec.Source} ({spec.KindName} {spec.Name}@{spec.Version})"));
                }

                results.Add((spec, result, response.Body));
            }

            if (!context.Tables)
            {
                context.Terminal.Data(new JsonArray([.. results.Select(r => (JsonNode)new JsonObject
                {
                    ["source"] = r.Spec.Source,
                    ["kind"] = r.Spec.Kind.ToString(),
                    ["name"] = r.Spec.Name,
                    ["version"] = r.Spec.Version,
                    ["result"] = r.Result,
                    ["response"] = r.Body?.DeepClone(),
                })]), context.Format);
            }
            else
            {
                var grid = new Grid("kind", "name", "version", "result", "file");
                foreach (var (spec, result, _) in results)
                {
                    grid.Add(spec.KindName, spec.Name, spec.Version, new Cell(result, result switch
                    {
                        "created" => "green",
                        "unchanged" or "would register" => "grey",
                        _ => "red",
                    }), spec.Source);
                }

                context.Terminal.Table(grid);
            }

            if (failed > 0 && specs.Count > 1)
            {
                throw new CliException($"{failed} of {specs.Count} specs were not registered");
            }

            // A single failure has already said why in one line.
            return failed > 0 ? ExitCodes.Failed : ExitCodes.Ok;

        });
    }
}
