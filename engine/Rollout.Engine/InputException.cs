namespace Rollout.Engine;

/// <summary>
/// Bad input from the user: a missing or malformed file, an impossible setting, a prompt that does
/// not fit. The message names the input and the problem in one line; the CLI prints it and exits 2
/// without a stack trace. Anything else escaping is a bug in this code.
/// </summary>
/// <param name="setting">The setting at fault, by its name in this library (a property such as
/// <c>SamplesPerPrompt</c>), when the message starts with it: a front end may print its own name for it.</param>
public sealed class InputException(string message, Exception? inner = null, string? setting = null) : Exception(message, inner)
{
    public string? Setting { get; } = setting;

    /// <summary>"<paramref name="setting"/> <paramref name="problem"/>" (no space before a problem that starts with ':'), naming the setting.</summary>
    public static InputException ForSetting(string setting, string problem) =>
        new(problem.StartsWith(':') ? setting + problem : $"{setting} {problem}", setting: setting);
}
