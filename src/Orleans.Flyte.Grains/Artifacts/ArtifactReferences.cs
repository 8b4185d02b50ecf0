using Npgsql;
using Orleans.Flyte.Abstractions.Artifacts;
using Orleans.Flyte.Domain.EventSourcing;
using Orleans.Flyte.Domain.Specs;
using Orleans.Flyte.Grains.Audit;

namespace Orleans.Flyte.Grains.Artifacts;

/// <summary><see cref="IArtifactReferences"/> over the event log: one query over the domain's events (its tenant), which
/// stops at the first event that names the file.</summary>
public sealed class ArtifactReferences(EventLogDatabase database) : IArtifactReferences
{
    public async Task<bool> IsNamedInAsync(string project, string domain, string sha256, CancellationToken cancellationToken)
    {
        if (!ArtifactReference.IsSha256(sha256))
        {
            return false;
        }

        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            $"select exists (select 1 from {database.Schema}.mt_events where tenant_id = @tenant and data::text like @uri)", connection);
        command.Parameters.AddWithValue("tenant", StreamAddress.TenantOf(project, domain));
        command.Parameters.AddWithValue("uri", $"%{ArtifactReference.FilePrefix}{sha256}%"); // hex only: nothing to escape
        return (bool)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
