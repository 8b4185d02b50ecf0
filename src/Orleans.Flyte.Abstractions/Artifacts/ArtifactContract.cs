using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
using Orleans.Flyte.Abstractions.Runners;
using Orleans.Flyte.Domain.Specs;

namespace Orleans.Flyte.Abstractions.Artifacts;

/// <summary>How <c>file</c> and <c>directory</c> values meet a task, whichever runner runs it: each such input reaches the
/// task as the path of the stored artifact (in <c>FLYTE_INPUT_&lt;NAME&gt;</c> and in <c>inputs.json</c>), read-only by
/// convention; each such output is written to <c>$FLYTE_OUTPUT_DIR/&lt;name&gt;</c> and becomes, once stored, its
/// <see cref="ArtifactReference"/>.</summary>
public static class ArtifactContract
{
    /// <summary>The inputs as the task sees them: every artifact input's reference replaced by <paramref name="pathOf"/>
    /// its artifact. False, with the reason, when a value is not a reference of the declared kind or (where
    /// <paramref name="exists"/> can tell) the bytes are not in the store: no retry can change that.</summary>
    public static bool TryPlaceInputs(
        JsonObject inputs,
        IReadOnlyDictionary<string, ParameterType>? artifacts,
        Func<ArtifactReference, string> pathOf,
        Func<ArtifactReference, bool>? exists,
        [NotNullWhen(true)] out JsonObject? placed,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(pathOf);
        placed = (JsonObject)inputs.DeepClone();
        error = null;
        foreach (var (name, type) in artifacts ?? new Dictionary<string, ParameterType>())
        {
            if (!placed.TryGetPropertyValue(name, out var value) || value is null)
            {
                continue; // an optional input left unbound
            }

            if (!ArtifactReference.TryRead(value, out var reference) || reference.IsDirectory != (type.Kind == ParameterKind.Directory))
            {
                error = $"input {name} is not a reference to a stored {type.Kind.ToString().ToLowerInvariant()}";
                placed = null;
                return false;
            }

            if (exists is not null && !exists(reference))
            {
                error = $"input {name}: {reference.Uri} is not in the artifact store";
                placed = null;
                return false;
            }

            placed[name] = pathOf(reference);
        }

        return true;
    }

    /// <summary>
    /// Stores each declared file or directory output the task left in <paramref name="outputDirectory"/> (as this machine
    /// sees it) and puts its reference (with the SHA-256) into the outputs, which the engine records in the attempt's
    /// events. A missing one, one of the wrong kind or one over the size limit fails the attempt permanently: the same
    /// task does the same again.
    /// </summary>
    public static async Task<AttemptStatus> CollectOutputsAsync(
        ArtifactStore store, AttemptStatus succeeded, IReadOnlyDictionary<string, ParameterType>? declared, string outputDirectory)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(succeeded);
        if (declared is not { Count: > 0 })
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
