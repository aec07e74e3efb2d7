using System.Data.Common;

namespace OrderLib.Tests.Infrastructure;

/// <summary>Reads the rows of one query over a connection of the test's own, for checks behind the library's back.</summary>
internal static class DbQuery
{
    /// <summary>Opens <paramref name="connection"/>, runs <paramref name="sql"/>, maps every row with <paramref name="read"/>, and closes the connection.</summary>
    public static async Task<List<T>> ListAsync<T>(DbConnection connection, string sql, Func<DbDataReader, T> read)
    {
        await using (connection)
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            await using var reader = await command.ExecuteReaderAsync();
            var rows = new List<T>();
            while (await reader.ReadAsync())
            {
                rows.Add(read(reader));
            }

            return rows;
        }
    }
}
