namespace Orleans.Flyte.Abstractions;

/// <summary>How a failure of the event store is handled (docs/architecture.md, "Storage failures").</summary>
public enum StorageFailureKind
{
    /// <summary>Not a storage failure at all.</summary>
    None,

    /// <summary>Another writer reached the stream first: re-read and decide again.</summary>
    Conflict,

    /// <summary>The database is unreachable, restarting or timed out: retry later with back-off; callers get 503.</summary>
    Transient,

    /// <summary>The database refused the data (or cannot ever store it): retrying cannot help; the call fails.</summary>
    Permanent,
}

/// <summary>Classifies exceptions from the store. The engine registers the implementation (it knows Npgsql and Marten);
/// the API asks it to answer 503 for an unreachable database instead of 500, without referencing either.</summary>
public interface IStorageFailures
{
    StorageFailureKind Classify(Exception exception);
}

/// <summary>
/// The store refused an event: it holds something PostgreSQL cannot keep (a NUL character, a lone surrogate, a value
/// too large) or the database rejected it as data. Nothing of the call was recorded and the grain serves the next call.
/// </summary>
[GenerateSerializer, Alias("flyte.EventRejectedException")]
public sealed class EventRejectedException : Exception
{
    public EventRejectedException()
    {
    }

    public EventRejectedException(string message)
        : base(message)
    {
    }

    public EventRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// The event store could not be reached in time (PostgreSQL down, restarting, or too slow). Nothing of the call is
/// known to be recorded; retrying later is safe (with an idempotency key where the call creates something).
/// </summary>
[GenerateSerializer, Alias("flyte.StoreUnavailableException")]
public sealed class StoreUnavailableException : Exception
{
    public StoreUnavailableException()
    {
    }

    public StoreUnavailableException(string message)
        : base(message)
    {
    }

    public StoreUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
