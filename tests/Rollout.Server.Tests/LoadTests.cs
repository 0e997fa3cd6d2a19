using System.Diagnostics;
using OpenAI.Chat;
using Rollout.Server.Tests.Support;

namespace Rollout.Server.Tests;

/// <summary>Many clients at once, for a short while: every request is answered, none fails.</summary>
[Collection(ServedModelCollection.Name)]
public sealed class LoadTests(ServedModelFixture server)
{
    [Fact]
    public async Task Sixty_four_concurrent_clients_get_no_error()
    {
        const int Clients = 64;
        var chat = server.Client.GetChatClient(ServedModelFixture.ModelId);
        var clock = Stopwatch.StartNew();
        var answered = new int[Clients];
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            // Each client keeps asking for 10 s (this bounds the test's length; nothing here times the server).
            for (int k = 0; clock.Elapsed < TimeSpan.FromSeconds(10); k++)
            {
                try
                {
                    var options = new ChatCompletionOptions { Temperature = 1.0f, MaxOutputTokenCount = 16 + c % 32, Seed = c * 1000 + k };
                    List<OpenAI.Chat.ChatMessage> messages = [new UserChatMessage($"Compute {c} + {k}.")];
                    if (k % 2 == 0)
                        await chat.CompleteChatAsync(messages, options, TestContext.Current.CancellationToken);
                    else
                        await foreach (var _ in chat.CompleteChatStreamingAsync(messages, options, TestContext.Current.CancellationToken)) { }
                    answered[c]++;
                }
                catch (Exception e) { errors.Add(e); }
            }
        }, TestContext.Current.CancellationToken)));
        Assert.Empty(errors);
        Assert.All(answered, n => Assert.True(n > 0));
    }
}
