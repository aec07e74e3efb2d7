using FluentMigrator;
using FluentMigrator.Runner.VersionTableInfo;

namespace OrderLib.Migrations;

/// <summary>
/// Where FluentMigrator records OrderLib's applied migrations: a table of OrderLib's own
/// (<c>orderlib_version_info</c>), so a host application that also uses FluentMigrator with the
/// default <c>VersionInfo</c> table in the same schema never shares or confuses version rows with it.
/// </summary>
internal sealed class OrderLibVersionTable(string schemaName) : IVersionTableMetaData
{
    /// <summary>The table's name, unquoted.</summary>
    public const string Table = "orderlib_version_info";

    /// <summary>The version column's name, unquoted.</summary>
    public const string VersionColumn = "version";

    /// <summary>The versions of every migration this library has (the <see cref="MigrationAttribute"/>s of this assembly), oldest first.</summary>
    public static IReadOnlyList<long> KnownVersions { get; } = typeof(OrderLibVersionTable).Assembly.GetTypes()
        .Select(t => t.GetCustomAttributes(typeof(MigrationAttribute), inherit: false).OfType<MigrationAttribute>().FirstOrDefault())
        .OfType<MigrationAttribute>()
        .Select(a => a.Version)
        .Order()
        .ToList();

    /// <inheritdoc />
    public bool OwnsSchema => false; // never drop the (possibly shared, possibly "public") schema with the table

    /// <inheritdoc />
    public string SchemaName { get; } = schemaName;

    /// <inheritdoc />
    public string TableName => Table;

    /// <inheritdoc />
    public string ColumnName => VersionColumn;

    /// <inheritdoc />
    public string DescriptionColumnName => "description";

    /// <inheritdoc />
    public string UniqueIndexName => "ux_orderlib_version_info_version";

    /// <inheritdoc />
    public string AppliedOnColumnName => "applied_on";

    /// <inheritdoc />
    public bool CreateWithPrimaryKey => false;
}
