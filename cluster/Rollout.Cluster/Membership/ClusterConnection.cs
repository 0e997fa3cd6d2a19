using System.Net;
using Npgsql;
using Orleans.Configuration;
using Rollout.Engine;

namespace Rollout.Cluster.Membership;

/// <summary>
/// Where workers and clients find each other: <c>dev</c> (Orleans' localhost development clustering: one machine, the
/// first worker on the default ports holds the membership) or an Npgsql connection string (membership in PostgreSQL,
/// any number of machines).
/// </summary>
public sealed class ClusterConnection
{
    public const string Dev = "dev";
    /// <summary>The development cluster's first worker: its silo port holds the membership, its gateway serves clients.</summary>
    public const int DefaultSiloPort = 11111, DefaultGatewayPort = 30000;
    private const string ClusterId = "rollout";

    private readonly string? _postgres;

    private ClusterConnection(string? postgres) => _postgres = postgres;

    public bool IsDev => _postgres == null;

    /// <summary>Checks the string's form (not the database: that is the worker's and client's first step).</summary>
    public static ClusterConnection Parse(string connection)
    {
        if (connection == Dev) return new ClusterConnection(null);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connection);
            if (string.IsNullOrEmpty(builder.Host)) throw new ArgumentException("no Host");
            return new ClusterConnection(builder.ConnectionString);
        }
        catch (ArgumentException e)
        {
            throw new InputException($"--cluster: '{connection}' is neither 'dev' nor a PostgreSQL connection string ({e.Message})", e);
        }
    }

    internal void ConfigureSilo(ISiloBuilder silo, int siloPort, int gatewayPort, IPAddress? address)
    {
        if (_postgres == null)
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, new IPEndPoint(IPAddress.Loopback, DefaultSiloPort));
            return;
        }
        OrleansTables.EnsureCreated(_postgres);
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (ClusterId, ClusterId));
        silo.UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = ("Npgsql", _postgres));
        if (address != null) silo.ConfigureEndpoints(address, siloPort, gatewayPort, listenOnAnyHostAddress: true);
        else silo.ConfigureEndpoints(siloPort, gatewayPort, listenOnAnyHostAddress: true);
    }

    internal void ConfigureClient(IClientBuilder client)
    {
        if (_postgres == null)
        {
            client.UseLocalhostClustering(DefaultGatewayPort);
            return;
        }
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (ClusterId, ClusterId));
        client.UseAdoNetClustering(o => (o.Invariant, o.ConnectionString) = ("Npgsql", _postgres));
    }
}
