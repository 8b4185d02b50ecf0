using System.Net.Sockets;
using Npgsql;
using Orleans.Flyte.Abstractions;

namespace Orleans.Flyte.Grains.EventSourcing;

/// <summary>
/// Sorts what the store throws into the three ways it is handled (docs/architecture.md, "Storage failures"):
/// a version conflict re-reads; a transient failure (connection lost or refused, timeout, server shutting down or
/// starting, out of resources, serialization failure) retries with back-off; anything else is permanent (SQLSTATE
/// class 22 data exceptions such as 22P05 "unsupported Unicode escape sequence", 23 integrity violations, 42 schema
/// errors, values the serializer cannot write) and fails the call, because retrying the same data fails the same way.
/// An unrecognised exception is permanent too: a retry loop that cannot end is worse than one failed call.
/// </summary>
public sealed class StorageFailureClassifier : IStorageFailures
{
    public static StorageFailureClassifier Instance { get; } = new();

    public StorageFailureKind Classify(Exception exception) => Of(exception);

    public static StorageFailureKind Of(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case EventRejectedException:
                    return StorageFailureKind.Permanent;
                case StoreUnavailableException:
                    return StorageFailureKind.Transient;
                case JasperFx.Events.EventStreamUnexpectedMaxEventIdException
                    or Marten.Exceptions.ExistingStreamIdCollisionException
                    or JasperFx.Events.ExistingStreamIdCollisionException
                    or JasperFx.ConcurrencyException:
                    return StorageFailureKind.Conflict;
                case PostgresException postgres:
                    return OfSqlState(postgres.SqlState, postgres.IsTransient);
                case NpgsqlException npgsql:
                    // Not an error the server sent: the connection broke, was refused or timed out.
                    return npgsql.IsTransient || npgsql.InnerException is SocketException or IOException or TimeoutException
                        ? StorageFailureKind.Transient
                        : StorageFailureKind.Permanent;
                case SocketException or TimeoutException:
                    return StorageFailureKind.Transient;
            }
        }

        return StorageFailureKind.Permanent;
    }

    /// <summary>By SQLSTATE class (https://www.postgresql.org/docs/current/errcodes-appendix.html).</summary>
    public static StorageFailureKind OfSqlState(string sqlState, bool npgsqlSaysTransient = false)
    {
        ArgumentNullException.ThrowIfNull(sqlState);
        return sqlState switch
        {
            _ when sqlState.StartsWith("08", StringComparison.Ordinal) => StorageFailureKind.Transient, // connection exception
            _ when sqlState.StartsWith("57P", StringComparison.Ordinal) => StorageFailureKind.Transient, // admin shutdown, crash, cannot connect now
            _ when sqlState.StartsWith("53", StringComparison.Ordinal) => StorageFailureKind.Transient, // insufficient resources
            "40001" or "40P01" or "55P03" or "57014" => StorageFailureKind.Transient, // serialization failure, deadlock, lock not available, query cancelled
            _ when sqlState.StartsWith("22", StringComparison.Ordinal) => StorageFailureKind.Permanent, // data exception
            _ when sqlState.StartsWith("23", StringComparison.Ordinal) => StorageFailureKind.Permanent, // integrity constraint violation
            _ => npgsqlSaysTransient ? StorageFailureKind.Transient : StorageFailureKind.Permanent,
        };
    }
}
