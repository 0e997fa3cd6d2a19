using System.Net;
using System.Text;
using Rollout.Engine;

namespace Rollout.Cluster.Worker;

/// <summary><c>GET /metrics</c> on a port of its own (HttpListener: no web framework for one text page); anything else is 404.</summary>
internal sealed class MetricsEndpoint : IDisposable
{
    private readonly HttpListener _listener = new();

    private MetricsEndpoint(int port, Func<string> page)
    {
        _listener.Prefixes.Add($"http://+:{port}/");
        try { _listener.Start(); }
        catch (HttpListenerException e) { throw new InputException($"--metrics-port: cannot listen on {port} ({e.Message})", e); }
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException) { return; }
                bool found = context.Request.HttpMethod == "GET" && context.Request.Url?.AbsolutePath == "/metrics";
                var body = Encoding.UTF8.GetBytes(found ? page() : "not found\n");
                context.Response.StatusCode = found ? 200 : 404;
                context.Response.ContentType = "text/plain; version=0.0.4";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            }
        });
    }

    public static MetricsEndpoint Start(int port, Func<string> page) => new(port, page);

    public void Dispose() => _listener.Close();
}
