using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Grains.Runners.Local;

/// <summary>The local runner's side of the <see cref="ArtifactContract"/>: inputs are read in place from the store (the
/// path of the stored artifact), and declared outputs are collected from the attempt's <c>out/</c> folder after exit 0.</summary>
internal sealed class LocalArtifacts(ArtifactStore store)
{
    public bool TryPlaceInputs(JsonObject inputs, AttemptLaunch launch, [NotNullWhen(true)] out JsonObject? placed, [NotNullWhen(false)] out string? error) =>
        ArtifactContract.TryPlaceInputs(inputs, launch.ArtifactInputs, store.PathOf, store.Contains, out placed, out error);

    /// <summary>
    /// Stores each declared file or directory output the task left in <paramref name="outputDirectory"/> and puts its
    /// reference (with the SHA-256) into the outputs, which the engine records in the attempt's events. A missing one, one
    /// of the wrong kind or one over the size limit fails the attempt permanently: the same task does the same again.
    /// </summary>
    public async Task<AttemptStatus> CollectOutputsAsync(AttemptStatus succeeded, AttemptLaunch launch, string outputDirectory)
    {
        if (launch.ArtifactOutputs is not { Count: > 0 } declared)
        {
            return succeeded;
        }

        var outputs = JsonNode.Parse(succeeded.OutputsJson ?? "{}")!.AsObject();
        foreach (var (name, type) in declared.OrderBy(d => d.Key, StringComparer.Ordinal))
        {
            var path = Path.Combine(outputDirectory, name);
            var isDirectory = type.Kind == ParameterKind.Directory;
            if (isDirectory ? !Directory.Exists(path) : !File.Exists(path))
            {
                var what = isDirectory ? "directory" : "file";
                return Failed($"did not write its {what} output {name} (expected a {what} at ${TaskContract.OutputDirectoryVariable}/{name})");
            }

            try
            {
                var reference = isDirectory ? await store.PutDirectoryAsync(path, type.Format) : await store.PutFileAsync(path, type.Format);
                outputs[name] = reference.ToJson();
            }
            catch (ArtifactTooLargeException ex)
            {
                return Failed($"its output {name} cannot be stored: {ex.Message}");
            }
        }

        return succeeded with { OutputsJson = outputs.ToJsonString() };

        AttemptStatus Failed(string what) =>
            succeeded with { Phase = AttemptPhase.Failed, OutputsJson = null, Error = $"task exited 0 but {what}", Permanent = true };
    }
}
