using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Rollout.Cluster.Tests.Support;

/// <summary>
/// A private PostgreSQL server in a temporary folder on a free port, run as the <c>postgres</c> user (initdb refuses
/// root), stopped when disposed. <see cref="TryStart"/> gives null where PostgreSQL is not installed.
/// </summary>
internal sealed class Postgres : IDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _dir;

    public string ConnectionString { get; }

    private Postgres(string dir, int port)
    {
        _dir = dir;
        ConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres";
    }

    /// <param name="dev">Set <c>ROLLOUT_TEST_CLUSTER=dev</c> to run the tests on development clustering where PostgreSQL is installed too.</param>
    public static Postgres? TryStart(bool dev = false)
    {
        if (dev || !File.Exists(Path.Combine(Bin, "initdb")) || !File.Exists("/usr/sbin/runuser")) return null;
        var dir = Path.Combine(Path.GetTempPath(), $"rollout-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        As("chown", "postgres", dir);
        var server = new Postgres(dir, FreePort());
        AsPostgres(Path.Combine(Bin, "initdb"), "-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres");
        AsPostgres(Path.Combine(Bin, "pg_ctl"), "-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "log"), "-w", "start",
            "-o", $"-p {server.Port} -k {dir} -c listen_addresses=127.0.0.1");
        return server;
    }

    private int Port => int.Parse(ConnectionString.Split(';')[1]["Port=".Length..]);

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void AsPostgres(params string[] command) => As("runuser", ["-u", "postgres", "--", .. command]);

    private static void As(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var err = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {process.ExitCode}: {err.Result}");
    }

    public void Dispose()
    {
        try { AsPostgres(Path.Combine(Bin, "pg_ctl"), "-D", Path.Combine(_dir, "data"), "-m", "immediate", "stop"); }
        finally { Directory.Delete(_dir, recursive: true); }
    }
}
