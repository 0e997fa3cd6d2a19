using Npgsql;
using Rollout.Engine;

namespace Rollout.Cluster.Membership;

/// <summary>Creates the membership tables on a PostgreSQL database that has none, once, whichever worker gets there first.</summary>
internal static class OrleansTables
{
    // Any fixed number: workers starting together take this lock, so one creates the tables and the others see them.
    private const long SetupLock = 0x726f6c6c6f7574;

    public static void EnsureCreated(string connectionString)
    {
        try
        {
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            Execute(connection, $"SELECT pg_advisory_lock({SetupLock})");
            try
            {
                using var exists = new NpgsqlCommand("SELECT to_regclass('orleansquery') IS NOT NULL", connection);
                if ((bool)exists.ExecuteScalar()!) return;
                using var transaction = connection.BeginTransaction();
                Execute(connection, Script(), transaction);
                transaction.Commit();
            }
            finally { Execute(connection, $"SELECT pg_advisory_unlock({SetupLock})"); }
        }
        catch (Exception e) when (e is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new InputException($"--cluster: cannot set up the membership tables: {e.Message}", e);
        }
    }

    private static void Execute(NpgsqlConnection connection, string sql, NpgsqlTransaction? transaction = null)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }

    private static string Script()
    {
        using var stream = typeof(OrleansTables).Assembly.GetManifestResourceStream("membership.sql")!;
        return new StreamReader(stream).ReadToEnd();
    }
}
