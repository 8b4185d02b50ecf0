using System.Text.Json.Nodes;

namespace Orleans.Flyte.Api.Tests.Identity;

/// <summary>The metadata of stored events, read straight from PostgreSQL: what an auditor would see.</summary>
public sealed record StoredPrincipal(string Stream, string Type, string Principal, string? OnBehalfOf)
{
    /// <summary>Who answers for the event: the principal a component acted for, else the principal.</summary>
    public string Responsible => OnBehalfOf ?? Principal;

    /// <summary>Events whose stream is <paramref name="stream"/> or lies under it (<c>stream/...</c>), in order.</summary>
    public static async Task<List<StoredPrincipal>> Of(string connectionString, string stream)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(
            "select stream_id, type, data::text from flyte.mt_events where stream_id = @s or stream_id like @under order by seq_id", connection);
        command.Parameters.AddWithValue("s", stream);
        command.Parameters.AddWithValue("under", stream + "/%");
        var events = new List<StoredPrincipal>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var meta = JsonNode.Parse(reader.GetString(2), new JsonNodeOptions { PropertyNameCaseInsensitive = true })!["meta"]!;
            events.Add(new StoredPrincipal(reader.GetString(0), reader.GetString(1), meta["principal"]!.GetValue<string>(), meta["onBehalfOf"]?.GetValue<string>()));
        }

        return events;
    }
}
