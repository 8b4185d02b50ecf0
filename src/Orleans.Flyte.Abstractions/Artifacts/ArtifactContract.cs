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

            if (type.IsArtifactList)
            {
                if (value is not JsonArray items)
                {
                    error = $"input {name} is not a list of references to stored {Kind(type.Element!)}s";
                    placed = null;
                    return false;
                }

                var paths = new JsonArray();
                for (var i = 0; i < items.Count; i++)
                {
                    if (!TryPlace($"{name}[{i}]", items[i], type.Element!, out var path, out error))
                    {
                        placed = null;
                        return false;
                    }

                    paths.Add(path);
                }

                placed[name] = paths;
                continue;
            }

            if (!TryPlace(name, value, type, out var single, out error))
            {
                placed = null;
                return false;
            }

            placed[name] = single;
        }

        return true;

        bool TryPlace(string what, JsonNode? value, ParameterType type, [NotNullWhen(true)] out string? path, [NotNullWhen(false)] out string? error)
        {
            path = null;
            if (!ArtifactReference.TryRead(value, out var reference) || reference.IsDirectory != (type.Kind == ParameterKind.Directory))
            {
                error = $"input {what} is not a reference to a stored {Kind(type)}";
                return false;
            }

            if (exists is not null && !exists(reference))
            {
                error = $"input {what}: {reference.Uri} is not in the artifact store";
                return false;
            }

            path = pathOf(reference);
            error = null;
            return true;
        }
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
            try
            {
                if (type.IsArtifactList)
                {
                    var element = type.Element!;
                    if (!Directory.Exists(path))
                    {
                        return Failed($"did not write its {type} output {name} (expected a directory at ${TaskContract.OutputDirectoryVariable}/{name} with one {Kind(element)} per element)");
                    }

                    var entries = ListElements(path);
                    if (entries.Count > MaxListElements)
                    {
                        return Failed($"its {type} output {name} has {entries.Count} elements, more than the {MaxListElements} a list may hold");
                    }

                    var items = new JsonArray();
                    foreach (var entry in entries)
                    {
                        if (!Exists(entry, element))
                        {
                            return Failed($"its {type} output {name} holds {Path.GetFileName(entry)}, which is not a {Kind(element)}");
                        }

                        items.Add(await PutAsync(entry, element));
                    }

                    outputs[name] = items;
                    continue;
                }

                if (!Exists(path, type))
                {
                    var what = Kind(type);
                    return Failed($"did not write its {what} output {name} (expected a {what} at ${TaskContract.OutputDirectoryVariable}/{name})");
                }

                outputs[name] = await PutAsync(path, type);
            }
            catch (ArtifactTooLargeException ex)
            {
                return Failed($"its output {name} cannot be stored: {ex.Message}");
            }
        }

        return succeeded with { OutputsJson = outputs.ToJsonString() };

        async Task<JsonObject> PutAsync(string path, ParameterType type) =>
            (type.Kind == ParameterKind.Directory ? await store.PutDirectoryAsync(path, type.Format) : await store.PutFileAsync(path, type.Format)).ToJson();

        AttemptStatus Failed(string what) =>
            succeeded with { Phase = AttemptPhase.Failed, OutputsJson = null, Error = $"task exited 0 but {what}", Permanent = true };
    }

    /// <summary>The most elements a <c>list&lt;file&gt;</c> or <c>list&lt;directory&gt;</c> output may hold: as many as a
    /// map node takes.</summary>
    public const int MaxListElements = 10_000;

    /// <summary>The entries of a list output's folder in element order: by name, ordinally, except that when every name
    /// is a whole number (<c>0</c>, <c>1</c>, …, <c>10</c>) they are in numeric order.</summary>
    public static IReadOnlyList<string> ListElements(string folder)
    {
        var entries = Directory.EnumerateFileSystemEntries(folder).ToList();
        var numbered = entries.Select(e => (Entry: e, Number: ulong.TryParse(Path.GetFileName(e), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : (ulong?)null)).ToList();
        return numbered.All(n => n.Number is not null)
            ? [.. numbered.OrderBy(n => n.Number).ThenBy(n => Path.GetFileName(n.Entry), StringComparer.Ordinal).Select(n => n.Entry)]
            : [.. entries.OrderBy(e => Path.GetFileName(e), StringComparer.Ordinal)];
    }

    private static bool Exists(string path, ParameterType type) =>
        type.Kind == ParameterKind.Directory ? Directory.Exists(path) : File.Exists(path);

    private static string Kind(ParameterType type) => type.Kind == ParameterKind.Directory ? "directory" : "file";
}
