using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Nodes;
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
}
