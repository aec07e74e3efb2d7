namespace OrderLib.Import;

/// <summary>The base of the errors an import raises about its source; when one is thrown, nothing was written.</summary>
public abstract class OrderLibImportSourceException : OrderLibException
{
    /// <summary>Creates the error with its message.</summary>
    protected OrderLibImportSourceException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The source URL is not a DATABASE_URL an import can read (<c>sqlite:///path</c> or <c>postgresql://...</c>).</summary>
public sealed class ImportSourceUrlException : OrderLibImportSourceException
{
    /// <summary>Creates the error.</summary>
    public ImportSourceUrlException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The source database cannot be reached or opened (file missing, server down, login refused, no such database).</summary>
public sealed class ImportSourceUnavailableException : OrderLibImportSourceException
{
    /// <summary>Creates the error.</summary>
    public ImportSourceUnavailableException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}

/// <summary>The source database is reachable but does not hold Order-lib's tables (<c>jobs</c>, <c>job_dependencies</c>, <c>job_runs</c>) with their required columns.</summary>
public sealed class NotAnOrderLibDatabaseException : OrderLibImportSourceException
{
    /// <summary>Creates the error.</summary>
    public NotAnOrderLibDatabaseException(string message)
        : base(message)
    {
    }
}
