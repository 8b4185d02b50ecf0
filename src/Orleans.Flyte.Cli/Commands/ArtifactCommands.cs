using System.CommandLine;
using System.Net.Http.Headers;
using Orleans.Flyte.Cli.Http;

namespace Orleans.Flyte.Cli.Commands;

/// <summary><c>artifact upload</c>: a local file into the platform's artifact store, for a workflow input typed <c>file</c>.</summary>
public static class ArtifactCommands
{
    public static Command Create(GlobalOptions globals)
    {
        var file = new Argument<string>("FILE") { Description = "The file to upload" };
        var format = new Option<string?>("--format") { Description = "Its artifact format (onnx, parquet, csv, …), for an input typed file<format>", HelpName = "FORMAT" };
        var upload = new Command("upload", "Upload a file into the artifact store and print its reference (JSON). Save it and pass it as an input: -i model=@model.ref.json")
            .With(file, format)
            .Runs(globals, async context =>
            {
                var path = Path.GetFullPath(context.Value(file), context.WorkingDirectory);
                if (!File.Exists(path))
                {
                    throw CliException.Usage($"{context.Value(file)}: no such file");
                }

                await using var bytes = File.OpenRead(path);
                using var content = new StreamContent(bytes);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                var query = context.Get(format) is { } f ? $"?format={CliContext.Segment(f)}" : string.Empty;
                var route = $"{context.Scope}/artifacts{query}";
                var answer = FlyteApi.Ensure(await context.Api.Send(HttpMethod.Post, route, content, null, context.Cancellation), route);
                var reference = answer.Body ?? throw new CliException($"{route}: the API answered without a body", ExitCodes.Failed);
                if (context.Tables)
                {
                    context.Terminal.Line(reference.ToJsonString());
                }
                else
                {
                    context.Terminal.Data(reference, context.Format);
                }

                return ExitCodes.Ok;
            });
        return new Command("artifact", "Files kept by the platform (inputs and outputs typed file).").With(upload);
    }
}
